"""Online literature sources behind one interface, registered by name (registry kind ``online source``).

A source turns a query into the URL of its search (what the control gate shows before anything is sent),
pages through the answers, and reads each answer's documented shape into :class:`OnlinePaper` records:

* ``semantic_scholar``: Graph API ``/graph/v1/paper/search`` (``offset``/``limit``, ``next``), plus
  ``/graph/v1/paper/{id}`` (details) and ``/graph/v1/paper/{id}/references`` (``data[].citedPaper``);
* ``openalex``: ``/works?search=`` (``page``/``per_page``, ``meta.count``), abstracts rebuilt from their
  inverted index; skipped without ``OPENALEX_API_KEY`` (required since February 2026);
* ``arxiv``: the Atom API ``/api/query?search_query=`` (``start``/``max_results``); PDFs at ``/pdf/{id}``.

An answer that is not the documented shape raises :class:`OnlineError` ("malformed answer"), so the
fallback chain moves on to the next source.
"""

from __future__ import annotations

import abc
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field

from proctor.registry import Registry
from proctor.retrieval._online_http import OnlineError, OnlineHTTP, api_key
from proctor.retrieval._types import Document
from proctor.settings import RetrievalSettings

S = TypeVar("S", bound="type[OnlineSource]")
ONLINE_SOURCES: Registry[type[OnlineSource]] = Registry("online source")
_ARXIV_ID = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s?#]+?)(?:v\d+)?(?:\.pdf)?$", re.I)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]+")
_STOP = frozenset("a an and are as at be by for from in into is it of on or that the this to with we our using "
                  "via how what which new study".split())


def online_source(name: str) -> Callable[[S], S]:
    """Class decorator registering an :class:`OnlineSource` subclass as ``name``."""

    def deco(cls: S) -> S:
        cls.name = name
        ONLINE_SOURCES.register(name)(cls)
        return cls

    return deco


class OnlinePaper(BaseModel):
    """A paper as an online source describes it."""

    source: str = Field(description="The source that found it (semantic_scholar, openalex, arxiv).")
    paper_id: str = Field(description="Source-prefixed id: s2:..., openalex:W..., arxiv:....")
    title: str = ""
    abstract: str = ""
    year: int | None = None
    venue: str = ""
    authors: str = ""
    url: str = Field(default="", description="Landing page.")
    pdf_url: str | None = Field(default=None, description="Open-access PDF, when the source lists one.")
    arxiv_id: str | None = None
    doi: str | None = None

    def document(self) -> Document:
        """The paper as an abstract-only document for the index (``source`` names the service and page)."""
        text = self.abstract.strip() or self.title.strip()
        return Document(paper_id=self.paper_id, title=self.title, abstract=text, text=text,
                        source=f"{self.source}:{self.url}", year=self.year, venue=self.venue, authors=self.authors)


class Page(BaseModel):
    """One page of a search."""

    papers: list[OnlinePaper]
    total: int | None = None
    next_offset: int | None = None


def arxiv_id_of(url: str | None) -> str | None:
    """The arXiv id in an arxiv.org abs/pdf URL, without its version."""
    match = _ARXIV_ID.search(url or "")
    return match.group(1) if match else None


def keywords(query: str, n: int = 6) -> list[str]:
    """Up to ``n`` content words of ``query``, in order (for services that match terms, not phrases)."""
    words = [w for w in _WORD.findall(query) if w.lower() not in _STOP]
    return list(dict.fromkeys(words))[:n]


class OnlineSource(abc.ABC):
    """One literature service."""

    name: ClassVar[str] = ""
    key_required: ClassVar[bool] = False

    def __init__(self, http: OnlineHTTP, settings: RetrievalSettings) -> None:
        self.http = http
        self.settings = settings
        self.cfg = settings.online.source(self.name)
        self.base = self.cfg.base_url.rstrip("/")

    def unavailable(self) -> str | None:
        """Why this source cannot be asked now (a key it requires is missing), or None."""
        if self.key_required and api_key(self.name) is None:
            from proctor.retrieval._online_http import KEY_ENV

            return f"{self.name} requires an API key: set {KEY_ENV[self.name]} in the environment"
        return None

    @abc.abstractmethod
    def search_request(self, query: str, offset: int, limit: int) -> tuple[str, dict[str, Any]]:
        """URL and query parameters of one search page."""

    @abc.abstractmethod
    def parse_search(self, content: bytes, url: str) -> Page:
        """One page of answers (raises :class:`OnlineError` when it is not the documented shape)."""

    def search_url(self, query: str) -> str:
        """The public URL of the first page of ``query`` (what the gate shows)."""
        url, params = self.search_request(query, 0, min(self.cfg.page_size, self.cfg.max_results))
        return self.http.url(url, params)

    def search(self, query: str, limit: int | None = None) -> list[OnlinePaper]:
        """Papers for ``query``, paging until ``limit`` (default ``max_results``) or the last page.

        Raises:
            OnlineError: the service failed (after retries) or answered in an unexpected shape.
        """
        limit = limit or self.cfg.max_results
        papers: list[OnlinePaper] = []
        offset = 0
        while len(papers) < limit:
            url, params = self.search_request(query, offset, min(self.cfg.page_size, limit - len(papers)))
            fetched = self.http.get(url, source=self.name, params=params)
            page = self.parse_search(fetched.content, fetched.url)
            papers += page.papers
            if not page.papers or page.next_offset is None or page.next_offset <= offset:
                break
            if page.total is not None and page.next_offset >= page.total:
                break
            offset = page.next_offset
        unique = {p.paper_id: p for p in reversed(papers)}  # the first of each id wins
        return [unique[i] for i in dict.fromkeys(p.paper_id for p in papers)][:limit]

    def pdf_url(self, paper: OnlinePaper) -> str | None:
        """Where to fetch ``paper``'s open-access PDF: arXiv's copy first, else the one the source lists."""
        if paper.arxiv_id:
            return f"{self.settings.online.arxiv.base_url.rstrip('/')}/pdf/{paper.arxiv_id}"
        return paper.pdf_url


def _json(content: bytes, source: str, url: str) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OnlineError(source, url, f"malformed answer (not JSON: {exc})") from exc


def _shape_error(source: str, url: str, what: str) -> OnlineError:
    return OnlineError(source, url, f"malformed answer ({what})")


S2_FIELDS = "title,abstract,year,venue,authors,externalIds,openAccessPdf,url"


@online_source("semantic_scholar")
class SemanticScholar(OnlineSource):
    """Semantic Scholar Graph API (``x-api-key`` from ``SEMANTIC_SCHOLAR_API_KEY`` when set)."""

    def search_request(self, query: str, offset: int, limit: int) -> tuple[str, dict[str, Any]]:
        return (f"{self.base}/graph/v1/paper/search",
                {"query": query, "offset": offset, "limit": limit, "fields": S2_FIELDS})

    def paper(self, data: Any, url: str) -> OnlinePaper:
        """One Graph API paper object."""
        if not isinstance(data, dict) or not data.get("paperId"):
            raise _shape_error(self.name, url, "a paper without paperId")
        ext = data.get("externalIds") or {}
        pdf = (data.get("openAccessPdf") or {}).get("url") or None
        return OnlinePaper(
            source=self.name, paper_id=f"s2:{data['paperId']}", title=str(data.get("title") or ""),
            abstract=str(data.get("abstract") or ""), year=data.get("year") if isinstance(data.get("year"), int) else None,
            venue=str(data.get("venue") or ""), url=str(data.get("url") or ""), pdf_url=pdf,
            authors=", ".join(str(a.get("name", "")) for a in data.get("authors") or [] if isinstance(a, dict)),
            arxiv_id=ext.get("ArXiv") or arxiv_id_of(pdf), doi=ext.get("DOI"),
        )

    def parse_search(self, content: bytes, url: str) -> Page:
        body = _json(content, self.name, url)
        if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
            raise _shape_error(self.name, url, "no data list")
        nxt = body.get("next")
        return Page(papers=[self.paper(d, url) for d in body.get("data", [])],
                    total=body.get("total") if isinstance(body.get("total"), int) else None,
                    next_offset=nxt if isinstance(nxt, int) else None)

    def details(self, paper_id: str) -> OnlinePaper:
        """One paper by its Semantic Scholar id (or ``arXiv:...``, ``DOI:...``)."""
        fetched = self.http.get(f"{self.base}/graph/v1/paper/{paper_id.removeprefix('s2:')}", source=self.name,
                                params={"fields": S2_FIELDS})
        return self.paper(_json(fetched.content, self.name, fetched.url), fetched.url)

    def references(self, paper_id: str, limit: int = 100) -> list[OnlinePaper]:
        """Papers that ``paper_id`` cites (paged by ``offset``/``next``)."""
        out: list[OnlinePaper] = []
        offset = 0
        while len(out) < limit:
            fetched = self.http.get(f"{self.base}/graph/v1/paper/{paper_id.removeprefix('s2:')}/references",
                                    source=self.name, params={"fields": S2_FIELDS, "offset": offset,
                                                              "limit": min(100, limit - len(out))})
            body = _json(fetched.content, self.name, fetched.url)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise _shape_error(self.name, fetched.url, "no data list")
            out += [self.paper(r["citedPaper"], fetched.url) for r in body["data"]
                    if isinstance(r, dict) and isinstance(r.get("citedPaper"), dict) and r["citedPaper"].get("paperId")]
            nxt = body.get("next")
            if not body["data"] or not isinstance(nxt, int) or nxt <= offset:
                break
            offset = nxt
        return out[:limit]


def _inverted_abstract(index: Any) -> str:
    """OpenAlex's ``abstract_inverted_index`` (word -> positions) back to text."""
    if not isinstance(index, dict):
        return ""
    spots = [(pos, word) for word, positions in index.items() if isinstance(positions, list)
             for pos in positions if isinstance(pos, int)]
    return " ".join(word for _, word in sorted(spots))


@online_source("openalex")
class OpenAlex(OnlineSource):
    """OpenAlex works search (``api_key`` parameter from ``OPENALEX_API_KEY``, added on the wire)."""

    key_required = True

    def search_request(self, query: str, offset: int, limit: int) -> tuple[str, dict[str, Any]]:
        return f"{self.base}/works", {"search": query, "per_page": limit, "page": offset // limit + 1}

    def parse_search(self, content: bytes, url: str) -> Page:
        body = _json(content, self.name, url)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise _shape_error(self.name, url, "no results list")
        meta: dict[str, Any] = body["meta"] if isinstance(body.get("meta"), dict) else {}
        papers = []
        for w in body["results"]:
            if not isinstance(w, dict) or not w.get("id"):
                raise _shape_error(self.name, url, "a work without id")
            locations = [loc for loc in [w.get("best_oa_location"), w.get("primary_location"), *(w.get("locations") or [])]
                         if isinstance(loc, dict)]
            urls = [str(loc.get(k) or "") for loc in locations for k in ("landing_page_url", "pdf_url")]
            primary: dict[str, Any] = w["primary_location"] if isinstance(w.get("primary_location"), dict) else {}
            venue = (primary.get("source") or {}).get("display_name") if isinstance(primary.get("source"), dict) else ""
            pdf = next((str(loc["pdf_url"]) for loc in locations if loc.get("pdf_url")), None)
            papers.append(OnlinePaper(
                source=self.name, paper_id=f"openalex:{str(w['id']).rsplit('/', 1)[-1]}",
                title=str(w.get("title") or w.get("display_name") or ""),
                abstract=_inverted_abstract(w.get("abstract_inverted_index")),
                year=w.get("publication_year") if isinstance(w.get("publication_year"), int) else None,
                venue=str(venue or ""), url=str(primary.get("landing_page_url") or w["id"]), pdf_url=pdf,
                authors=", ".join(str((a.get("author") or {}).get("display_name", "")) for a in w.get("authorships") or []
                                  if isinstance(a, dict)),
                arxiv_id=next((i for i in map(arxiv_id_of, urls) if i), None), doi=w.get("doi"),
            ))
        count, page, per_page = meta.get("count"), meta.get("page"), meta.get("per_page")
        nxt = page * per_page if isinstance(page, int) and isinstance(per_page, int) else None
        return Page(papers=papers, total=count if isinstance(count, int) else None, next_offset=nxt)


_ATOM = {"a": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/",
         "arxiv": "http://arxiv.org/schemas/atom"}


@online_source("arxiv")
class Arxiv(OnlineSource):
    """arXiv's Atom API (one request every 3 s, one connection: see the settings)."""

    def search_request(self, query: str, offset: int, limit: int) -> tuple[str, dict[str, Any]]:
        terms = keywords(query) or [query.strip()]
        return (f"{self.base}/api/query", {"search_query": " AND ".join(f"all:{t}" for t in terms),
                                          "start": offset, "max_results": limit, "sortBy": "relevance"})

    def parse_search(self, content: bytes, url: str) -> Page:
        head = content[:2000].lower()
        if b"<!doctype" in head or b"<!entity" in head:
            raise _shape_error(self.name, url, "a feed with a DTD")
        try:
            root = ET.fromstring(content)
        except ET.ParseError as exc:
            raise _shape_error(self.name, url, f"not an Atom feed: {exc}") from exc
        if root.tag != f"{{{_ATOM['a']}}}feed":
            raise _shape_error(self.name, url, f"root element {root.tag}, not an Atom feed")
        papers = []
        for e in root.findall("a:entry", _ATOM):
            abs_url = (e.findtext("a:id", "", _ATOM) or "").strip()
            aid = arxiv_id_of(abs_url)
            if aid is None:  # arXiv reports query errors as an entry whose id is its error page
                raise _shape_error(self.name, url, f"an entry that is no paper: {(e.findtext('a:summary', '', _ATOM) or '')[:100]}")
            pdf = next((ln.get("href") for ln in e.findall("a:link", _ATOM)
                        if ln.get("title") == "pdf" or ln.get("type") == "application/pdf"), None)
            published = (e.findtext("a:published", "", _ATOM) or "")[:4]
            papers.append(OnlinePaper(
                source=self.name, paper_id=f"arxiv:{aid}", title=" ".join((e.findtext("a:title", "", _ATOM) or "").split()),
                abstract=" ".join((e.findtext("a:summary", "", _ATOM) or "").split()),
                year=int(published) if published.isdigit() else None, venue="arXiv", url=abs_url, pdf_url=pdf,
                authors=", ".join((a.findtext("a:name", "", _ATOM) or "").strip() for a in e.findall("a:author", _ATOM)),
                arxiv_id=aid, doi=e.findtext("arxiv:doi", None, _ATOM),
            ))
        total_text = root.findtext("os:totalResults", "", _ATOM).strip()
        start_text = root.findtext("os:startIndex", "0", _ATOM).strip()
        total = int(total_text) if total_text.isdigit() else None
        start = int(start_text) if start_text.isdigit() else 0
        return Page(papers=papers, total=total, next_offset=start + len(papers) if papers else None)


def get_source(name: str, http: OnlineHTTP, settings: RetrievalSettings) -> OnlineSource:
    """An instance of the source registered as ``name``."""
    return ONLINE_SOURCES.get(name)(http, settings)
