"""Embedders: registry, the hashing fake, offline failure, and the real MiniLM (slow)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from proctor.retrieval import EMBEDDERS, EmbedderUnavailable, HashingEmbedder, RetrievalSettings, get_embedder


def test_registry_has_builtin_embedders() -> None:
    get_embedder(RetrievalSettings(embedder="hashing"))
    assert {"hashing", "minilm"} <= set(EMBEDDERS.names())


def test_hashing_is_deterministic_and_normalised() -> None:
    a, b = HashingEmbedder(64), HashingEmbedder(64)
    va = a.embed(["the same text", "other words entirely"])
    assert np.array_equal(va, b.embed(["the same text", "other words entirely"]))
    assert np.allclose(np.linalg.norm(va, axis=1), 1.0) and va.dtype == np.float32
    assert a.digest != HashingEmbedder(128).digest


def test_missing_model_fails_fast_and_offline() -> None:
    started = time.monotonic()
    with pytest.raises(EmbedderUnavailable, match="not available locally"):
        get_embedder(RetrievalSettings(embedder="someone/definitely-not-a-cached-model"))
    with pytest.raises(EmbedderUnavailable):
        get_embedder(RetrievalSettings(embedder="/nonexistent/model/dir"))
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_minilm_loads_by_path_and_ranks_paraphrases() -> None:
    emb = get_embedder(RetrievalSettings(embedder="minilm", device="cpu"))
    assert emb.dim == 384 and "all-MiniLM-L6-v2" in emb.identity
    v = emb.embed(["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock markets fell sharply."])
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.3
