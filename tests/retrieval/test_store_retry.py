"""A chroma server that answers 500 while it recovers is retried like an unreachable one; an embedded
store's internal error is not (retrying would only delay the same error)."""

from __future__ import annotations

import pytest
from chromadb.errors import InternalError

from proctor.retrieval import StoreUnavailable
from proctor.retrieval._store import _retrying


def _flaky(failures: int) -> tuple[list[int], object]:
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise InternalError("Error executing plan: Failed to apply logs to the hnsw segment writer")
        return "ok"

    return calls, call


def test_a_recovering_server_is_retried_within_the_window() -> None:
    calls, call = _flaky(2)
    assert _retrying("the chroma server at 127.0.0.1:1", call, retry_s=10) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 3


def test_past_the_window_it_is_a_clear_store_error() -> None:
    _, call = _flaky(1000)
    with pytest.raises(StoreUnavailable, match="127.0.0.1:1.*InternalError"):
        _retrying("the chroma server at 127.0.0.1:1", call, retry_s=0.5)  # type: ignore[arg-type]


def test_an_embedded_store_raises_at_once() -> None:
    calls, call = _flaky(1)
    with pytest.raises(InternalError):
        _retrying("the chroma server", call, retry_s=10, remote=False)  # type: ignore[arg-type]
    assert len(calls) == 1
