"""Full text of the closest online papers: their open-access PDF, read into paragraphs with sections.

Steps per paper (:func:`afetch_fulltext`):
1. Already in the online index's manifest as full text: nothing is asked.
2. The PDF's URL: arXiv's copy first (``<arxiv base_url>/pdf/<id>``), else the open-access PDF the
   source lists; none is a skip. ``approve(source, url, title)`` (the control gate) must allow it.
3. Fetch it (through the cache) with a size cap: a ``Content-Length`` or a body over
   ``pdf_max_bytes`` is skipped as huge; bytes that do not start like a PDF are skipped as not a PDF.
4. Read it with the ingest's PDF reader: encrypted, corrupt and text-less (scanned) PDFs are skipped
   with its reason; more than ``pdf_max_pages`` pages is huge.
5. Lines of extracted text become paragraphs (a blank line after a short line that ends a sentence, around
   a heading line), so the chunker finds sections; the paper's abstract-only entry is replaced by its
   full text in the online index, recorded in its manifest.

Every fetch is an :class:`OnlineSearchEvent` (``action="fulltext"``) with its outcome and reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from proctor.log import emit
from proctor.retrieval._chunking import heading_text
from proctor.retrieval._ingest import add_documents
from proctor.retrieval._online import ONLINE_WRITE_LOCK, Approve, OnlineLiterature, OnlineSearchEvent
from proctor.retrieval._online_http import OnlineError
from proctor.retrieval._online_sources import OnlinePaper
from proctor.retrieval._sources import SourceError, read_documents
from proctor.retrieval._types import Document


class FulltextSkip(Exception):
    """A PDF that is not indexed, and why."""


class FulltextResult(BaseModel):
    """What happened to one paper's full text."""

    paper_id: str
    title: str = ""
    url: str = ""
    status: Literal["added", "stored", "skipped", "refused", "failed"]
    reason: str = ""
    chunks: int = 0


def _key(paper_id: str) -> str:
    return f"fulltext:{paper_id}"


def paragraphs_from_pdf_text(text: str) -> str:
    """Blank lines where extracted PDF text has paragraph and heading breaks (pypdf gives single newlines)."""
    lines = [ln.rstrip() for ln in text.splitlines()]
    width = sorted(len(ln) for ln in lines if ln.strip())
    typical = width[len(width) * 3 // 4] if width else 0
    out: list[str] = []
    for ln in lines:
        if not ln.strip():
            out.append("")
            continue
        if heading_text(ln) is not None:
            out += ["", ln.strip(), ""]
            continue
        out.append(ln)
        if ln.endswith((".", "?", "!", ":")) and len(ln) < 0.8 * typical:
            out.append("")
    return "\n".join(out)


def fetch_pdf(lit: OnlineLiterature, url: str, source: str) -> tuple[bytes, bool]:
    """The PDF's bytes (capped at ``pdf_max_bytes``) and whether the cache answered.

    Raises:
        FulltextSkip: huge, or not a PDF.
        OnlineError: the fetch failed.
    """
    cap = lit.settings.online.pdf_max_bytes
    with lit.http.stream(url, source=source) as response:
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise FulltextSkip(f"huge PDF ({int(length):,} bytes > pdf_max_bytes {cap:,})")
        buf = bytearray()
        for part in response.iter_bytes():
            buf += part
            if len(buf) > cap:
                raise FulltextSkip(f"huge PDF (over pdf_max_bytes {cap:,} bytes)")
        from_cache = bool((response.extensions.get("caching") or {}).get("from_cache"))
    raw = bytes(buf)
    if b"%PDF-" not in raw[:1024]:
        kind = response.headers.get("content-type", "unknown type").split(";")[0]
        raise FulltextSkip(f"not a PDF ({kind}, starts {raw[:16]!r})")
    return raw, from_cache


def pdf_document(raw: bytes, paper: OnlinePaper, url: str, *, max_pages: int) -> Document:
    """The paper's full text as a document (abstract and metadata from the source).

    Raises:
        FulltextSkip: huge (pages), encrypted, corrupt or without extractable text.
    """
    from pypdf import PdfReader

    try:
        pages = len(PdfReader(io.BytesIO(raw)).pages)
    except Exception:  # noqa: BLE001 - pypdf raises many types; the reader below names the damage
        pages = 0
    if pages > max_pages:
        raise FulltextSkip(f"huge PDF ({pages} pages > pdf_max_pages {max_pages})")
    with tempfile.TemporaryDirectory(prefix="proctor-pdf-") as tmp:
        path = Path(tmp) / "paper.pdf"
        path.write_bytes(raw)
        try:
            [doc] = list(read_documents(path, []))
        except SourceError as exc:
            raise FulltextSkip(str(exc)) from exc
    text = paragraphs_from_pdf_text(doc.text)
    return Document(paper_id=paper.paper_id, title=paper.title or doc.title,
                    abstract=(paper.abstract or doc.abstract).strip(), text=text, source=f"fulltext:{url}",
                    year=paper.year, venue=paper.venue, authors=paper.authors)


def _store(lit: OnlineLiterature, doc: Document, sha: str) -> int:
    index = lit.index
    with ONLINE_WRITE_LOCK:
        index.chunks.delete({"paper_id": doc.paper_id})
        index.papers.delete({"paper_id": doc.paper_id})
        report = add_documents(index, [doc], file=_key(doc.paper_id))
        if report.chunks:
            index.manifest.record(sha, _key(doc.paper_id), report.papers, report.chunks)
    return report.chunks


async def afetch_fulltext(lit: OnlineLiterature, papers: Sequence[OnlinePaper],
                          approve: Approve | None = None) -> list[FulltextResult]:
    """Fetch, read and index the full text of ``papers`` (see the module docstring)."""
    results = []
    for paper in papers:
        results.append(await _one(lit, paper, approve))
        r = results[-1]
        emit(OnlineSearchEvent(action="fulltext", source=paper.source, query=paper.title[:200], url=r.url,
                               status=r.status if r.status != "added" else "ok", chunks=r.chunks, reason=r.reason))
    return results


async def _one(lit: OnlineLiterature, paper: OnlinePaper, approve: Approve | None) -> FulltextResult:
    base: dict[str, Any] = {"paper_id": paper.paper_id, "title": paper.title}
    if lit.index.manifest.sha_for_path(_key(paper.paper_id)) is not None:
        return FulltextResult(**base, status="stored", reason="full text already indexed")
    src = lit.sources.get(paper.source) or next(iter(lit.sources.values()), None)
    url = src.pdf_url(paper) if src is not None else paper.pdf_url
    if not url:
        return FulltextResult(**base, status="skipped", reason="no open-access PDF listed")
    fetch_source = "arxiv" if paper.arxiv_id else "pdf"
    if approve is not None and await approve(fetch_source, url, f"full text of: {paper.title}"[:200]) is None:
        return FulltextResult(**base, url=url, status="refused", reason="the control gate did not approve it")
    try:
        raw, _ = await asyncio.to_thread(fetch_pdf, lit, url, fetch_source)
        doc = await asyncio.to_thread(pdf_document, raw, paper, url, max_pages=lit.settings.online.pdf_max_pages)
    except FulltextSkip as exc:
        return FulltextResult(**base, url=url, status="skipped", reason=str(exc))
    except OnlineError as exc:
        return FulltextResult(**base, url=url, status="failed", reason=exc.reason)
    chunks = await asyncio.to_thread(_store, lit, doc, hashlib.sha256(raw + paper.paper_id.encode()).hexdigest())
    if not chunks:
        return FulltextResult(**base, url=url, status="skipped", reason="no indexable paragraphs in the PDF")
    return FulltextResult(**base, url=url, status="added", chunks=chunks)
