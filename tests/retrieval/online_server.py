"""A local stand-in for Semantic Scholar, OpenAlex and arXiv, answering in their documented shapes.

Shapes written from the services' public documentation:

* Semantic Scholar Graph API: ``GET /graph/v1/paper/search?query=&offset=&limit=&fields=`` ->
  ``{"total", "offset", "next", "data": [paper]}`` (``next`` absent on the last page); ``GET
  /graph/v1/paper/{id}`` -> paper; ``GET /graph/v1/paper/{id}/references`` -> ``{"offset", "next",
  "data": [{"citedPaper": paper}]}``; a paper has ``paperId, title, abstract, year, venue, url,
  authors[{authorId, name}], externalIds{ArXiv, DOI}, openAccessPdf{url, status}``.
* OpenAlex: ``GET /works?search=&page=&per_page=&api_key=`` -> ``{"meta": {count, db_response_time_ms,
  page, per_page}, "results": [work]}``; a work has ``id`` (``https://openalex.org/W...``), ``title``,
  ``display_name``, ``publication_year``, ``doi``, ``abstract_inverted_index``, ``authorships[{author:
  {display_name}}]``, ``primary_location{landing_page_url, pdf_url, source{display_name}}``,
  ``best_oa_location``, ``locations``. Without ``api_key`` it answers 429 (no allowance left).
* arXiv: ``GET /api/query?search_query=&start=&max_results=`` -> an Atom feed with
  ``opensearch:totalResults/startIndex/itemsPerPage`` and entries (``id`` the abs URL, ``title``,
  ``summary``, ``published``, ``author/name``, ``link rel=alternate`` and ``link title=pdf``);
  ``GET /pdf/{id}`` -> the PDF.

Faults are queued per service (``server.fail("s2", "429:2")``): ``429:<retry-after>``, ``500``,
``503``, ``malformed``, ``slow:<seconds>``, ``notpdf``, ``huge``, ``encrypted``. Every request is logged
(path, parameters, headers) in ``server.requests``.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class FakePaper:
    """A paper the fake services know."""

    pid: str
    title: str
    abstract: str
    body: list[tuple[str, str]] = field(default_factory=list)
    """Sections of the PDF: (heading, paragraph)."""
    year: int = 2022
    arxiv_id: str | None = None

    def terms(self) -> set[str]:
        return set(_WORD.findall(f"{self.title} {self.abstract}".lower()))


def make_pdf(title: str, sections: Sequence[tuple[str, str]], *, password: str | None = None) -> bytes:
    """A real text PDF (matplotlib's PDF backend; pypdf reads its text back), one page per two sections."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        pages = [list(sections[i:i + 2]) for i in range(0, max(len(sections), 1), 2)] or [[]]
        for n, page in enumerate(pages):
            fig = Figure(figsize=(8.5, 11))
            lines = [title] if n == 0 else []
            for head, para in page:
                lines += [head, *textwrap.wrap(para, 95)]
            for i, line in enumerate(lines):
                fig.text(0.06, 0.95 - i * 0.022, line, fontsize=9)
            pdf.savefig(fig)
    raw = buf.getvalue()
    if password is None:
        return raw
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(raw)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _s2_paper(p: FakePaper, base: str) -> dict[str, Any]:
    return {"paperId": p.pid, "title": p.title, "abstract": p.abstract, "year": p.year, "venue": "ICLR",
            "url": f"{base}/paper/{p.pid}", "authors": [{"authorId": "1", "name": "Ada Lovelace"}],
            "externalIds": {"ArXiv": p.arxiv_id, "DOI": f"10.0/{p.pid}"} if p.arxiv_id else {"DOI": f"10.0/{p.pid}"},
            "openAccessPdf": {"url": f"{base}/pdf/{p.arxiv_id}", "status": "GREEN"} if p.arxiv_id else None}


def _inverted(text: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = defaultdict(list)
    for i, word in enumerate(text.split()):
        index[word].append(i)
    return dict(index)


def _openalex_work(p: FakePaper, base: str) -> dict[str, Any]:
    loc = {"landing_page_url": f"https://arxiv.org/abs/{p.arxiv_id}" if p.arxiv_id else f"{base}/w/{p.pid}",
           "pdf_url": f"{base}/pdf/{p.arxiv_id}" if p.arxiv_id else None, "source": {"display_name": "ICLR"}}
    return {"id": f"https://openalex.org/W{abs(hash(p.pid)) % 10**9}", "title": p.title, "display_name": p.title,
            "publication_year": p.year, "doi": f"https://doi.org/10.0/{p.pid}",
            "abstract_inverted_index": _inverted(p.abstract),
            "authorships": [{"author": {"display_name": "Ada Lovelace"}}], "primary_location": loc,
            "best_oa_location": loc if p.arxiv_id else None, "locations": [loc]}


def _atom(entries: list[FakePaper], total: int, start: int, base: str) -> bytes:
    items = "".join(f"""
  <entry>
    <id>http://arxiv.org/abs/{p.arxiv_id}v1</id>
    <published>{p.year}-01-15T00:00:00Z</published>
    <title>{escape(p.title)}</title>
    <summary>{escape(p.abstract)}</summary>
    <author><name>Ada Lovelace</name></author>
    <link href="http://arxiv.org/abs/{p.arxiv_id}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="{base}/pdf/{p.arxiv_id}v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>""" for p in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title type="html">ArXiv Query</title>
  <id>http://arxiv.org/api/fake</id>
  <updated>2026-01-01T00:00:00-05:00</updated>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>{start}</opensearch:startIndex>
  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>{items}
</feed>""".encode()


class FakeLiterature:
    """The server: papers, queued faults, a request log. Use :func:`serve` to run it."""

    def __init__(self, papers: Sequence[FakePaper]) -> None:
        self.papers = list(papers)
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.requests: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        """Other paths served as they are (e.g. the default corpus's public JSON files)."""
        self.base = ""
        self._pdfs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def fail(self, service: str, *faults: str) -> None:
        """Queue faults for the next requests to ``service`` (s2, openalex, arxiv, pdf)."""
        with self._lock:
            self.faults[service] += faults

    def count(self, service: str) -> int:
        """Requests received by ``service``."""
        return sum(r["service"] == service for r in self.requests)

    def match(self, query: str) -> list[FakePaper]:
        """Papers sharing words with ``query``, most shared first (a keyword search)."""
        words = set(_WORD.findall(query.lower())) - {"all", "and", "the", "of", "a", "for", "in", "with"}
        scored = [(len(words & p.terms()), i, p) for i, p in enumerate(self.papers)]
        return [p for s, _, p in sorted(scored, key=lambda t: (-t[0], t[1])) if s > 0]

    def pdf(self, arxiv_id: str) -> bytes | None:
        paper = next((p for p in self.papers if p.arxiv_id and arxiv_id.startswith(p.arxiv_id)), None)
        if paper is None:
            return None
        if arxiv_id not in self._pdfs:
            self._pdfs[arxiv_id] = make_pdf(paper.title, paper.body or [("1 Introduction", paper.abstract)])
        return self._pdfs[arxiv_id]

    def next_fault(self, service: str) -> str | None:
        with self._lock:
            return self.faults[service].pop(0) if self.faults[service] else None


def _handler(state: FakeLiterature) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, value: Any, status: int = 200) -> None:
            self._send(status, json.dumps(value).encode())

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            path = url.path
            service = ("s2" if path.startswith("/graph/") else "openalex" if path.startswith("/works")
                       else "arxiv" if path.startswith("/api/") else "pdf" if path.startswith("/pdf/") else "other")
            state.requests.append({"service": service, "path": path, "params": params,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}})
            fault = state.next_fault(service)
            if fault and fault.startswith("429"):
                wait = fault.split(":", 1)[1] if ":" in fault else "-"
                return self._send(429, b'{"message": "Too Many Requests"}',
                                  headers={} if wait == "-" else {"retry-after": wait})
            if fault in ("500", "502", "503"):
                return self._json({"error": "Internal Server Error"}, int(fault))
            if fault and fault.startswith("slow:"):
                time.sleep(float(fault.split(":", 1)[1]))
            if fault == "malformed":
                return self._send(200, b'{"data": [{"paperId": "x", "title": ', "application/json")
            if service == "s2":
                return self._s2(path, params)
            if service == "openalex":
                return self._openalex(params)
            if service == "arxiv":
                return self._arxiv(params)
            if service == "pdf":
                return self._pdf(path.removeprefix("/pdf/"), fault)
            if path in state.files:
                return self._json(json.loads(state.files[path]))
            return self._json({"error": "not found"}, 404)

        def _s2(self, path: str, params: dict[str, str]) -> None:
            if path == "/graph/v1/paper/search":
                hits = state.match(params.get("query", ""))
                offset, limit = int(params.get("offset", 0)), int(params.get("limit", 10))
                body: dict[str, Any] = {"total": len(hits), "offset": offset,
                                        "data": [_s2_paper(p, state.base) for p in hits[offset:offset + limit]]}
                if offset + limit < len(hits):
                    body["next"] = offset + limit
                return self._json(body)
            m = re.fullmatch(r"/graph/v1/paper/([^/]+)(/references)?", path)
            paper = next((p for p in state.papers if m and p.pid == m.group(1)), None)
            if paper is None:
                return self._json({"error": "Paper not found"}, 404)
            if m and m.group(2):
                others = [p for p in state.papers if p is not paper]
                offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
                body = {"offset": offset, "data": [{"citedPaper": _s2_paper(p, state.base)}
                                                   for p in others[offset:offset + limit]]}
                if offset + limit < len(others):
                    body["next"] = offset + limit
                return self._json(body)
            return self._json(_s2_paper(paper, state.base))

        def _openalex(self, params: dict[str, str]) -> None:
            if not params.get("api_key"):
                return self._json({"error": "API key required", "message": "Add api_key=..."}, 429)
            hits = state.match(params.get("search", ""))
            page, per_page = int(params.get("page", 1)), int(params.get("per_page", 25))
            chunk = hits[(page - 1) * per_page: page * per_page]
            return self._json({"meta": {"count": len(hits), "db_response_time_ms": 3, "page": page,
                                        "per_page": per_page, "groups_count": None},
                               "results": [_openalex_work(p, state.base) for p in chunk], "group_by": []})

        def _arxiv(self, params: dict[str, str]) -> None:
            terms = re.findall(r"all:(\S+)", params.get("search_query", ""))
            hits = [p for p in state.match(" ".join(terms)) if p.arxiv_id]
            start, n = int(params.get("start", 0)), int(params.get("max_results", 10))
            return self._send(200, _atom(hits[start:start + n], len(hits), start, state.base),
                              "application/atom+xml; charset=utf-8")

        def _pdf(self, arxiv_id: str, fault: str | None) -> None:
            if fault == "notpdf":
                return self._send(200, b"<html><body>Please complete the captcha</body></html>", "text/html")
            if fault == "huge":
                return self._send(200, b"%PDF-1.4\n" + b"0" * 3_000_000, "application/pdf")
            if fault == "encrypted":
                return self._send(200, make_pdf("Locked", [("1 Introduction", "Secret text.")], password="pw"),
                                  "application/pdf")
            if fault == "corrupt":
                return self._send(200, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "application/pdf")
            raw = state.pdf(arxiv_id)
            if raw is None:
                return self._json({"error": "not found"}, 404)
            return self._send(200, raw, "application/pdf")

    return Handler


@contextmanager
def serve(papers: Sequence[FakePaper]) -> Iterator[FakeLiterature]:
    """Run the fake services on 127.0.0.1 at a free port for the block; ``state.base`` is its URL."""
    state = FakeLiterature(papers)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def online_overrides(base: str, cache_dir: str) -> list[str]:
    """``--set`` flags pointing every source at the fake server, with no rate limit waits."""
    return ["retrieval.online.enabled=true", f"retrieval.online.cache_dir={cache_dir}",
            *(f"retrieval.online.{s}.base_url={base}" for s in ("semantic_scholar", "openalex", "arxiv")),
            *(f"retrieval.online.{s}.per_s=0" for s in ("semantic_scholar", "openalex", "arxiv")),
            "retrieval.online.backoff_s=0.01", "retrieval.online.max_wait_s=5"]
