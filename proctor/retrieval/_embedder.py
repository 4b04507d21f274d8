"""The embedder interface and how settings pick one.

An embedder turns texts into L2-normalised float32 vectors, so cosine similarity is a dot product.
Factories register with ``@embedder("name")`` (the :data:`EMBEDDERS` registry) and take the retrieval settings; a name that
is not registered is read as a sentence-transformers model path or name (loaded offline only).
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from proctor.registry import Registry
from proctor.settings import RetrievalSettings

Vectors = npt.NDArray[np.float32]
EmbedderFactory = Callable[[RetrievalSettings], "Embedder"]
EMBEDDERS: Registry[EmbedderFactory] = Registry("embedder")


class EmbedderUnavailable(RuntimeError):
    """The embedding model cannot be loaded (missing locally, or broken); nothing is downloaded."""


class Embedder(abc.ABC):
    """Texts in, unit-length vectors out."""

    #: What determines the vectors (model path or name, dimension); part of the index name.
    identity: str
    dim: int

    @abc.abstractmethod
    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` into an ``(n, dim)`` float32 array of unit-length rows."""

    @property
    def digest(self) -> str:
        """Short hash of :attr:`identity`."""
        return hashlib.sha256(self.identity.encode()).hexdigest()[:12]


def embedder(name: str) -> Callable[[EmbedderFactory], EmbedderFactory]:
    """Register an embedder factory ``(RetrievalSettings) -> Embedder`` under ``name``."""
    return EMBEDDERS.register(name)


def get_embedder(settings: RetrievalSettings) -> Embedder:
    """Build the embedder named by ``settings.embedder``.

    Registered names win; anything else is loaded as a sentence-transformers model path or name.

    Raises:
        EmbedderUnavailable: when the model is not available locally or fails to load.
    """
    import proctor.retrieval._fake  # noqa: F401  (registers `hashing`)
    import proctor.retrieval._onnx  # noqa: F401  (registers `minilm-int8`)
    import proctor.retrieval._sentence  # noqa: F401  (registers `minilm`)

    if settings.embedder in EMBEDDERS:
        factory = EMBEDDERS.get(settings.embedder)
        return factory(settings)  # type: ignore[operator,no-any-return]
    from proctor.retrieval._sentence import sentence_transformer_embedder

    return sentence_transformer_embedder(settings.embedder, settings)


def normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Scale rows to unit length (zero rows stay zero)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return (arr / np.where(norms == 0, 1.0, norms)).astype(np.float32)
