"""A deterministic token-hashing embedder for tests: no model, no download, same vectors everywhere."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence

import numpy as np

from proctor.retrieval._embedder import Embedder, Vectors, embedder, normalise
from proctor.settings import RetrievalSettings

_TOKEN = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=1 << 18)
def _bucket(token: str, dim: int) -> tuple[int, float]:
    value = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
    return value % dim, 1.0 if (value >> 63) & 1 else -1.0


class HashingEmbedder(Embedder):
    """Bag of lower-cased word tokens (and word bigrams), each hashed into a signed bucket.

    Texts sharing words get positive cosine similarity, identical texts get 1.0, so retrieval logic
    can be tested with meaningful rankings.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.identity = f"hashing:v1:{dim}"

    def _bucket(self, token: str) -> tuple[int, float]:
        return _bucket(token, self.dim)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Hash each text's tokens and bigrams into a unit vector."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            for tok in [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]:
                idx, sign = self._bucket(tok)
                out[row, idx] += sign
        return normalise(out)


@embedder("hashing")
def hashing(settings: RetrievalSettings) -> Embedder:
    """The deterministic test embedder, ``settings.hashing_dim`` wide."""
    return HashingEmbedder(settings.hashing_dim)
