"""Reading source files into documents, with a reason for everything skipped.

Supported: JSONL(.gz) paper records (``id, title, abstract`` and optionally ``text``/``body``), PDFs
(pypdf), Markdown and plain text, and tarballs of text papers (``papers/<id>.txt``). Text that is not
valid UTF-8 is decoded with replacement characters when only a few bytes are bad (with a note), and
skipped as binary when many are.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from proctor.retrieval._chunking import section_spans
from proctor.retrieval._types import Document

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".rst")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
PDF_SUFFIXES = (".pdf",)
SUPPORTED = TEXT_SUFFIXES + JSONL_SUFFIXES + TAR_SUFFIXES + PDF_SUFFIXES
MAX_BAD_BYTE_RATIO = 0.02
MAX_AUTHORS = 300  # characters of the comma-joined author list kept as metadata


class Skip(BaseModel):
    """Something not indexed (or indexed with a caveat), and why."""

    path: str = Field(description="File, or file::member for an archive member or JSONL line.")
    reason: str
    skipped: bool = Field(default=True, description="False for a note: indexed, but with a caveat.")


class SourceError(ValueError):
    """A whole file cannot be read; the message is the reason it is skipped."""


def kind_of(path: Path) -> str | None:
    """``jsonl``, ``tar``, ``pdf`` or ``text`` by suffix; None when unsupported."""
    name = path.name.lower()
    for kind, suffixes in (("jsonl", JSONL_SUFFIXES), ("tar", TAR_SUFFIXES), ("pdf", PDF_SUFFIXES),
                           ("text", TEXT_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return None


def decode_text(raw: bytes, where: str, notes: list[Skip]) -> str:
    """UTF-8 text of ``raw``; a few bad bytes become U+FFFD (noted), many mean binary.

    Raises:
        SourceError: for binary content (NUL bytes or too many undecodable bytes).
    """
    nuls = raw.count(b"\x00")
    if nuls > MAX_BAD_BYTE_RATIO * max(len(raw), 1):
        raise SourceError(f"binary content ({nuls} NUL bytes of {len(raw)}), not text")
    if nuls:
        # PDF-to-text dumps carry stray NULs from font encodings; they are not text either.
        raw = raw.replace(b"\x00", b"")
        notes.append(Skip(path=where, reason=f"{nuls} NUL bytes removed", skipped=False))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        if bad > MAX_BAD_BYTE_RATIO * max(len(raw), 1):
            raise SourceError(
                f"not UTF-8 text ({bad} undecodable bytes of {len(raw)}); convert it to UTF-8"
            ) from exc
        notes.append(Skip(path=where, reason=f"not valid UTF-8: {bad} bytes replaced with U+FFFD",
                          skipped=False))
        return text


def split_abstract(text: str) -> tuple[str, str]:
    """``(abstract, text_without_abstract)`` for a paper text with an ``Abstract`` heading.

    Author blocks that PDF converters put inside the abstract section (bold names, e-mails) are left out.
    """
    spans = [(s, e) for s, e in section_spans(text, "abstract")
             if e - s >= 150 and not text[s:e].lstrip().startswith("**") and "@" not in text[s:e]]
    if not spans:
        return "", text
    abstract = "\n\n".join(text[s:e] for s, e in spans)
    body, pos = [], 0
    for s, e in spans:
        body.append(text[pos:s])
        pos = e
    body.append(text[pos:])
    return abstract, "".join(body)


def guess_title(text: str) -> str:
    """The first Markdown heading, else the first short non-empty line."""
    for line in text.splitlines()[:40]:
        line = line.strip()
        if m := re.match(r"^#{1,2}\s+(.+)$", line):
            return m.group(1).strip(" #*")
    for line in text.splitlines()[:10]:
        if 0 < len(line.strip()) <= 200:
            return line.strip(" #*")
    return ""


def text_document(text: str, paper_id: str, source: str) -> Document:
    """A document for a paper given as text: title and abstract found from its headings."""
    abstract, _ = split_abstract(text)
    return Document(paper_id=paper_id, title=guess_title(text), abstract=abstract, text=text, source=source)


def _jsonl_documents(path: Path, notes: list[Skip]) -> Iterator[Document]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    bad = dups = 0
    seen: dict[str, str] = {}
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                    if not isinstance(rec, dict):
                        raise ValueError("not an object")
                except (ValueError, UnicodeDecodeError):
                    bad += 1
                    continue
                title = str(rec.get("title") or "")
                abstract = str(rec.get("abstract") or "")
                body = str(rec.get("text") or rec.get("body") or rec.get("content") or "")
                if not (title or abstract or body):
                    notes.append(Skip(path=f"{path}::{lineno}", reason="record has no title, abstract or text"))
                    continue
                pid = str(rec.get("id") or rec.get("paper_id") or
                          hashlib.sha256(f"{title}\n{abstract}".encode()).hexdigest()[:16])
                if pid in seen:
                    if seen[pid] == title:
                        dups += 1
                        continue
                    # Some dumps reuse ids across different papers: keep both, apart.
                    pid = f"{pid}-{hashlib.sha256(title.encode()).hexdigest()[:8]}"
                    if pid in seen:
                        dups += 1
                        continue
                seen[pid] = title
                year = rec.get("year")
                names = rec.get("authors")
                if isinstance(names, list):  # ["A. Author", ...] or [{"name": "A. Author"}, ...]
                    names = ", ".join(n.strip() for a in names
                                      if isinstance(n := a.get("name") if isinstance(a, dict) else a, str) and n.strip())
                yield Document(
                    paper_id=pid, title=title, abstract=abstract, text=body or abstract, source=str(path),
                    year=year if isinstance(year, int) else None,
                    venue=str(rec.get("conference") or rec.get("venue") or ""),
                    authors=str(names or "")[:MAX_AUTHORS],
                )
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"cannot read JSONL ({type(exc).__name__}: {exc})") from exc
    if bad:
        notes.append(Skip(path=str(path), reason=f"{bad} lines are not JSON objects and were skipped"))
    if dups:
        notes.append(Skip(path=str(path), reason=f"{dups} duplicate records (same id and title) skipped"))


def _pdf_document(path: Path, notes: list[Skip]) -> Document:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError("encrypted PDF (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise SourceError(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p.strip() for p in pages)
    if not text.strip():
        raise SourceError(f"PDF has no extractable text ({len(pages)} pages; scanned images?)")
    return text_document(text, path.stem, str(path))


def _tar_documents(path: Path, notes: list[Skip]) -> Iterator[Document]:
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                where = f"{path}::{member.name}"
                if kind_of(Path(member.name)) != "text":
                    notes.append(Skip(path=where, reason="not a text member (.txt/.md)"))
                    continue
                fh = tar.extractfile(member)
                raw = fh.read() if fh else b""
                if not raw.strip():
                    notes.append(Skip(path=where, reason="empty file"))
                    continue
                try:
                    text = decode_text(raw, where, notes)
                except SourceError as exc:
                    notes.append(Skip(path=where, reason=str(exc)))
                    continue
                yield text_document(text, Path(member.name).stem, where)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SourceError(f"cannot read archive ({type(exc).__name__}: {exc})") from exc


def read_documents(path: Path, notes: list[Skip]) -> Iterator[Document]:
    """Documents in one file; per-record problems are appended to ``notes``.

    Raises:
        SourceError: when the whole file is unreadable, empty or unsupported (the message says why).
    """
    kind = kind_of(path)
    if kind is None:
        raise SourceError(f"unsupported file type (supported: {', '.join(SUPPORTED)})")
    if path.stat().st_size == 0:
        raise SourceError("empty file")
    if kind == "jsonl":
        yield from _jsonl_documents(path, notes)
    elif kind == "tar":
        yield from _tar_documents(path, notes)
    elif kind == "pdf":
        yield _pdf_document(path, notes)
    else:
        text = decode_text(path.read_bytes(), str(path), notes)
        if not text.strip():
            raise SourceError("empty file (whitespace only)")
        yield text_document(text, path.stem, str(path))
