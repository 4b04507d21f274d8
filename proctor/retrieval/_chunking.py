"""Paragraph-level chunking with sections and exact character offsets.

Steps:
1. Split the text into paragraphs at blank lines, keeping each paragraph's offsets.
2. A short one-line paragraph that looks like a heading (Markdown ``#``, ``2.1 Method``, ``ABSTRACT``,
   a common section name) starts a new section and is not indexed itself.
3. Paragraphs of skipped sections (references...) are dropped.
4. Paragraphs under ``min_chars`` merge with the next one of the same section; paragraphs over
   ``max_chars`` are split at sentence boundaries.

Every chunk's text is exactly ``text[start:end]``, so offsets point back into the source.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from proctor.retrieval._types import Chunk

CHUNKER_VERSION = "para-v1"

_PARA_SPLIT = re.compile(r"\n[ \t]*\n\s*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.{1,120})$")
_NUMBERED = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*|[A-H](?:\.\d{1,2})+|[A-H])\.?\s+([A-Z][^\n]{1,80})$")
_CAPS = re.compile(r"^[A-Z][A-Z0-9 \-&:,']{2,60}$")
_COMMON = {
    "abstract", "introduction", "related work", "background", "method", "methods", "methodology",
    "approach", "experiments", "experimental setup", "results", "discussion", "conclusion",
    "conclusions", "limitations", "references", "bibliography", "appendix", "acknowledgements",
    "acknowledgments", "future work", "evaluation",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ChunkerConfig:
    """What determines the chunks (part of the index name)."""

    min_chars: int = 200
    max_chars: int = 1200
    skip_sections: tuple[str, ...] = ("references", "bibliography")

    @property
    def digest(self) -> str:
        """Short hash of the configuration and the chunker version."""
        body = f"{CHUNKER_VERSION}:{self.min_chars}:{self.max_chars}:{','.join(sorted(self.skip_sections))}"
        return hashlib.sha256(body.encode()).hexdigest()[:12]


def heading_text(paragraph: str) -> str | None:
    """The section name if ``paragraph`` is a heading line, else None."""
    line = paragraph.strip()
    if "\n" in line or len(line) > 120 or not line:
        return None
    if m := _MD_HEADING.match(line):
        return m.group(1).strip(" #*")
    bare = line.strip("*_ ")
    if m := _NUMBERED.match(bare):
        return m.group(1).strip()
    if bare.lower().rstrip(":.") in _COMMON:
        return bare.rstrip(":.")
    if _CAPS.match(bare) and len(bare.split()) <= 8 and any(len(w) >= 3 for w in bare.split()):
        return bare
    return None


def section_key(section: str) -> str:
    """Lower-case section name without numbering, for matching ``skip_sections``."""
    return re.sub(r"^[\dA-H.]*\s+", "", section.strip()).lower().strip(" :.") or section.lower()


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """Offsets ``(start, end)`` of the non-blank paragraphs of ``text``, whitespace trimmed."""
    pos = 0
    for m in [*_PARA_SPLIT.finditer(text), None]:
        stop = m.start() if m else len(text)
        start, end = pos, stop
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end
        if m:
            pos = m.end()


def _split_long(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max((m.start() for m in _SENTENCE_END.finditer(window) if m.start() > max_chars // 2), default=-1)
        if cut < 0:
            cut = window.rfind(" ", max_chars // 2)
        if cut <= 0:
            cut = max_chars
        yield start, start + cut
        start += cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def chunk_text(text: str, config: ChunkerConfig, *, sections: Sequence[str] | None = None) -> list[Chunk]:
    """Cut ``text`` into paragraph chunks.

    Args:
        text: the document text.
        config: sizes and skipped sections.
        sections: when given, keep only chunks whose section key is in this list (e.g. ``["abstract"]``).

    Returns:
        Chunks in document order, each with its section and offsets.
    """
    skip = {s.lower() for s in config.skip_sections}
    chunks: list[Chunk] = []
    section = ""
    pending: tuple[int, int] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is None:
            return
        s, e = pending
        pending = None
        if sum(ch.isalpha() for ch in text[s:e]) < 3:
            return
        for a, b in _split_long(text, s, e, config.max_chars):
            chunks.append(Chunk(section=section, start=a, end=b, text=text[a:b]))

    for start, end in paragraphs(text):
        first_line_end = text.find("\n", start, end)
        first_end = end if first_line_end < 0 else first_line_end
        head = heading_text(text[start:first_end])
        if head is not None and (first_end == end or _MD_HEADING.match(text[start:first_end].strip())):
            flush()
            section = head
            if first_end == end:
                continue
            start = first_end + 1
        if section_key(section) in skip:
            continue
        if pending is not None:
            pending = (pending[0], end)
        else:
            pending = (start, end)
        if pending[1] - pending[0] >= config.min_chars:
            flush()
    flush()
    if sections is not None:
        wanted = {s.lower() for s in sections}
        chunks = [c for c in chunks if section_key(c.section) in wanted]
    return chunks


def section_spans(text: str, name: str) -> list[tuple[int, int]]:
    """Raw paragraph offsets of the section whose key is ``name`` (e.g. ``"abstract"``)."""
    section, spans = "", []
    for start, end in paragraphs(text):
        head = heading_text(text[start:end])
        if head is not None:
            section = head
        elif section_key(section) == name:
            spans.append((start, end))
    return spans


def chunk_id(paper_id: str, chunk: Chunk) -> str:
    """Deterministic id: the same text at the same place always gets the same id."""
    digest = hashlib.sha256(chunk.text.encode()).hexdigest()[:10]
    return f"{paper_id}:{chunk.start}-{chunk.end}:{digest}"
