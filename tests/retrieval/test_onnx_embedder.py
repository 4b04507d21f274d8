"""The int8 ONNX embedder: exported once into the cache, close to the torch model, its own identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from proctor.retrieval import EMBEDDERS
from proctor.retrieval._onnx import MARKER, OnnxEmbedder, onnx_model_dir
from proctor.retrieval._sentence import SentenceTransformerEmbedder, minilm_path

TEXTS = ["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock markets fell sharply today.",
         "We train a transformer on modular arithmetic and observe grokking after weight decay."]


def test_int8_export_is_cached_and_agrees_with_the_torch_model(tmp_path: Path) -> None:
    model_dir = onnx_model_dir(minilm_path(), root=tmp_path)
    marker = (model_dir / MARKER).stat().st_mtime_ns
    assert onnx_model_dir(minilm_path(), root=tmp_path) == model_dir  # the second call reuses the export
    assert (model_dir / MARKER).stat().st_mtime_ns == marker
    fast = OnnxEmbedder(model_dir)
    exact = SentenceTransformerEmbedder(minilm_path(), device="cpu")
    a, b = fast.embed(TEXTS), exact.embed(TEXTS)
    assert a.shape == (4, 384) and np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert float((a * b).sum(axis=1).min()) > 0.97  # int8 weights: close, not equal
    assert float(a[0] @ a[1]) > float(a[0] @ a[2]) + 0.3
    assert fast.identity != exact.identity and fast.identity.startswith("onnx-int8:")
    assert fast.embed([]).shape == (0, 384)
    assert "minilm-int8" in EMBEDDERS.names()


def test_a_vector_does_not_depend_on_the_other_texts(tmp_path: Path) -> None:
    fast = OnnxEmbedder(onnx_model_dir(minilm_path(), root=tmp_path))
    texts = ["short", "a much longer text about training small networks on tabular data", "mid length text"]
    together = fast.embed(texts)
    one_by_one = np.concatenate([fast.embed([t]) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-6)  # a text's vector never depends on its batch mates


def test_the_default_int8_embedder_cuts_at_128_tokens_and_the_256_one_does_not(tmp_path: Path) -> None:
    model_dir = onnx_model_dir(minilm_path(), root=tmp_path)
    short, long = OnnxEmbedder(model_dir), OnnxEmbedder(model_dir, max_tokens=256)
    assert short.identity.endswith(":128") and long.identity.endswith(":256")
    head = " ".join(["grokking appears after long training with weight decay"] * 12)  # about 110 tokens
    a = head + " " + " ".join(["stock markets fell sharply on interest rate fears"] * 12)
    b = head + " " + " ".join(["the cat sat quietly on a warm mat all afternoon"] * 12)
    same_head = float(short.embed([a])[0] @ short.embed([b])[0])
    assert same_head > float(long.embed([a])[0] @ long.embed([b])[0]) + 0.05  # 256 tokens see the tails
