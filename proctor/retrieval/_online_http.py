"""HTTP for the online sources: an on-disk cache, per-source rate limits, retries, keys added on the wire.

The client is three layers, outermost first:

1. hishel's :class:`~hishel.httpx.CacheTransport` over a SQLite file (``retrieval.online.cache_dir``):
   a successful GET is stored by method and URL and answered from disk until ``cache_ttl_s``, so a
   repeated or resumed run asks nothing twice. It only ever sees the public request (no key).
2. :class:`PoliteTransport`: per source, a rate limit (pyrate-limiter; the source's ``requests`` per
   ``per_s``), retries of 429, 5xx, timeouts and connection errors with tenacity (``Retry-After`` when
   the server gives one, else exponential backoff with jitter; a ``Retry-After`` beyond ``max_wait_s``
   gives up at once so the fallback chain moves on), and the API key, added to a copy of the request
   that is sent and then dropped.
3. httpx's own transport (connection pool, timeouts).

Keys come from the environment only (:data:`KEY_ENV`) and appear in no URL, event, error message or
cache entry: errors name the public URL, and :func:`redact` masks any key value in text as a last guard.
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, retry_if_result

from proctor.settings import RetrievalSettings

KEY_ENV = {"semantic_scholar": "SEMANTIC_SCHOLAR_API_KEY", "openalex": "OPENALEX_API_KEY"}
"""Environment variable of each source's API key."""
_KEY_HEADER = {"semantic_scholar": "x-api-key"}
_KEY_PARAM = {"openalex": "api_key"}
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "proctor-literature/1.0 (+novelty checks of research ideas)"


class OnlineError(RuntimeError):
    """An online request failed (after its retries). The message names the public URL, never a key."""

    def __init__(self, source: str, url: str, reason: str, status: int | None = None) -> None:
        self.source, self.url, self.status = source, url, status
        self.reason = redact(reason)
        super().__init__(f"{source}: {self.reason} ({redact(url)})")


def api_key(source: str) -> str | None:
    """The source's key from the environment, or None."""
    name = KEY_ENV.get(source)
    value = os.environ.get(name, "").strip() if name else ""
    return value or None


def redact(text: str) -> str:
    """``text`` with the value of every API key in the environment replaced by ``***``."""
    for name in KEY_ENV.values():
        value = os.environ.get(name, "").strip()
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


def retry_after(response: httpx.Response) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class HTTPStats:
    """What went over the network and what the cache answered, per source."""

    sent: Counter[str] = field(default_factory=Counter)
    """Requests sent over the network (each retry counts)."""
    retries: Counter[str] = field(default_factory=Counter)
    cache_hits: Counter[str] = field(default_factory=Counter)
    cache_misses: Counter[str] = field(default_factory=Counter)
    waited_s: float = 0.0
    """Time spent in backoff and Retry-After waits."""

    def hit_rate(self) -> float | None:
        """Cache hits over cacheable answers, or None when nothing was asked."""
        hits, misses = sum(self.cache_hits.values()), sum(self.cache_misses.values())
        return hits / (hits + misses) if hits + misses else None


class PoliteTransport(httpx.BaseTransport):
    """Rate limit, retries and keys per source (the source is the request's ``proctor_source`` extension)."""

    def __init__(self, settings: RetrievalSettings, stats: HTTPStats, *,
                 inner: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        from pyrate_limiter import Duration, InMemoryBucket, Limiter, Rate

        self.online = settings.online
        self.stats = stats
        self.inner = inner or httpx.HTTPTransport(retries=0)
        self.sleep = sleep
        self._limiters: dict[str, Any] = {}
        for name in ("semantic_scholar", "openalex", "arxiv"):
            cfg = self.online.source(name)
            if cfg.per_s > 0:
                window = max(1, int(cfg.per_s * Duration.SECOND))
                self._limiters[name] = Limiter(InMemoryBucket([Rate(cfg.requests, window)]))
        # arXiv asks for one connection: its requests go one at a time.
        self._serial = {"arxiv": threading.Lock()}

    def _wire(self, request: httpx.Request, source: str) -> httpx.Request:
        """A copy of ``request`` with the key added (the original, which the cache stores, stays clean);
        only for the source's own host (a redirect elsewhere never carries it)."""
        key = api_key(source)
        if key and request.url.host != httpx.URL(self.online.source(source).base_url).host:
            key = None
        url, headers = request.url, httpx.Headers(request.headers)
        if key and source in _KEY_HEADER:
            headers[_KEY_HEADER[source]] = key
        if key and source in _KEY_PARAM:
            url = url.copy_add_param(_KEY_PARAM[source], key)
        return httpx.Request(request.method, url, headers=headers, extensions=request.extensions)

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        asked = retry_after(outcome.result()) if outcome is not None and not outcome.failed else None
        if asked is None:
            base = self.online.backoff_s * 2 ** (state.attempt_number - 1)
            asked = min(base, self.online.max_wait_s) * (0.5 + random.random() / 2)
        return min(asked, self.online.max_wait_s)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.online.max_attempts:
            return True
        outcome = state.outcome
        if outcome is None or outcome.failed:
            return False
        asked = retry_after(outcome.result())
        return asked is not None and asked > self.online.max_wait_s

    def _send_once(self, request: httpx.Request, source: str) -> httpx.Response:
        limiter = self._limiters.get(source)
        if limiter is not None:
            limiter.try_acquire(source)
        self.stats.sent[source] += 1
        response = self.inner.handle_request(self._wire(request, source))
        if response.status_code in RETRYABLE_STATUS:
            response.read()  # a small error body; the connection goes back to the pool
            response.close()
        return response

    def _sleep(self, seconds: float) -> None:
        self.stats.waited_s += seconds
        self.sleep(seconds)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        source = str(request.extensions.get("proctor_source", "other"))
        retrying = Retrying(
            stop=self._stop, wait=self._wait, sleep=self._sleep, reraise=True,
            retry=(retry_if_exception_type((httpx.TimeoutException, httpx.NetworkError))
                   | retry_if_result(lambda r: r.status_code in RETRYABLE_STATUS)),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            before_sleep=lambda _state: self.stats.retries.update([source]),
        )
        lock = self._serial.get(source)
        if lock is None:
            return retrying(self._send_once, request, source)  # type: ignore[no-any-return]
        with lock:
            return retrying(self._send_once, request, source)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()


@dataclass
class Fetched:
    """A successful answer."""

    url: str
    status: int
    content: bytes
    headers: dict[str, str]
    from_cache: bool


class OnlineHTTP:
    """The HTTP client of the online sources (one per process is enough; it is thread-safe)."""

    def __init__(self, settings: RetrievalSettings, *, inner: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.stats = HTTPStats()
        self.polite = PoliteTransport(settings, self.stats, inner=inner, sleep=sleep)
        transport: httpx.BaseTransport = self.polite
        online = settings.online
        if online.cache:
            from hishel import SqliteStorage
            from hishel.httpx import CacheTransport

            path = Path(online.cache_dir).expanduser()
            path.mkdir(parents=True, exist_ok=True)
            storage = SqliteStorage(database_path=path / "http-cache.sqlite", default_ttl=online.cache_ttl_s)
            transport = CacheTransport(next_transport=self.polite, storage=storage)
        self.client = httpx.Client(transport=transport, follow_redirects=True,
                                   headers={"user-agent": USER_AGENT})

    def _timeout(self, source: str) -> float:
        try:
            return self.settings.online.source(source).timeout_s
        except KeyError:
            return 60.0

    def _count(self, response: httpx.Response, source: str) -> bool:
        caching = response.extensions.get("caching") or {}
        from_cache = bool(caching.get("from_cache"))
        if self.settings.online.cache and response.is_success:
            (self.stats.cache_hits if from_cache else self.stats.cache_misses)[source] += 1
        return from_cache

    def url(self, url: str, params: dict[str, Any] | None = None) -> str:
        """The public URL of a request (what the gate and the events show; no key in it)."""
        return str(httpx.URL(url, params=params))

    @contextmanager
    def stream(self, url: str, *, source: str) -> Iterator[httpx.Response]:
        """A streamed GET (for PDFs): the response, status checked, not yet read."""
        try:
            with self.client.stream("GET", url, timeout=self._timeout(source),
                                    extensions={"proctor_source": source}) as response:
                self._check(response, source, url)
                self._count(response, source)
                yield response
        except httpx.HTTPError as exc:
            raise OnlineError(source, url, f"{type(exc).__name__}: {exc or 'no detail'}") from exc

    def get(self, url: str, *, source: str, params: dict[str, Any] | None = None) -> Fetched:
        """GET ``url`` (with ``params``) for ``source``, from the cache when it has it.

        Raises:
            OnlineError: on a network failure, a timeout or a non-2xx answer after the retries.
        """
        public = self.url(url, params)
        try:
            response = self.client.get(public, timeout=self._timeout(source), extensions={"proctor_source": source})
        except httpx.HTTPError as exc:
            raise OnlineError(source, public, f"{type(exc).__name__}: {exc or 'no detail'}") from exc
        self._check(response, source, public)
        return Fetched(url=public, status=response.status_code, content=response.content,
                       headers=dict(response.headers), from_cache=self._count(response, source))

    def _check(self, response: httpx.Response, source: str, url: str) -> None:
        if response.is_success:
            return
        if not response.is_stream_consumed:
            response.read()
        detail = " ".join(response.text[:200].split())
        wait = retry_after(response)
        extra = f", Retry-After {wait:.0f}s" if wait is not None else ""
        raise OnlineError(source, url, f"HTTP {response.status_code}{extra}: {detail}", response.status_code)

    def close(self) -> None:
        """Close connections and the cache file."""
        self.client.close()
