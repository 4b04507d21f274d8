"""Proctor's own litellm providers: the embedded ``local/...`` model and the test-only ``mock/...``.

Both are registered through ``litellm.custom_provider_map``, so every call, ours or a real
provider's, goes through ``litellm.acompletion`` and the same gateway code.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import Any

import litellm
from litellm import CustomLLM
from litellm.types.utils import ModelResponse

from proctor.llm._errors import ModelUnavailable

LOCAL_MODELS = {"gemma-3-270m"}

MockOutput = str | Callable[[list[dict[str, Any]]], str]
_scripts: dict[str, list[MockOutput] | Callable[[list[dict[str, Any]]], str]] = {}
_requests: dict[str, list[dict[str, Any]]] = {}
_mock_lock = threading.Lock()


def is_embedded(model: str) -> bool:
    """Whether ``model`` names an embedded, in-process model (``local/...``)."""
    return model.startswith("local/")


def local_model_name(model: str) -> str:
    """The embedded model named by ``local/<name>``.

    Raises:
        ModelUnavailable: when no such model is embedded.
    """
    name = model.split("/", 1)[-1]
    if name not in LOCAL_MODELS:
        raise ModelUnavailable(f"unknown embedded model {model!r}; embedded models: "
                               + ", ".join(f"local/{m}" for m in sorted(LOCAL_MODELS)))
    return name


def _response(model: str, text: str, prompt_tokens: int, completion_tokens: int, finish: str) -> ModelResponse:
    return ModelResponse(
        model=model,
        choices=[{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}],
        usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
               "total_tokens": prompt_tokens + completion_tokens},
    )


def _schema_of(optional_params: dict[str, Any]) -> dict[str, Any] | None:
    fmt = optional_params.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema", {}).get("schema")
        return schema if isinstance(schema, dict) else None
    return None


class LocalProvider(CustomLLM):
    """Serves the embedded GGUF model in-process; ``response_format`` json_schema constrains decoding."""

    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:  # type: ignore[override]
        """Generate synchronously."""
        from proctor.llm import _local_engine

        name = local_model_name(model)
        params: dict[str, Any] = kwargs.get("optional_params") or {}
        engine = _local_engine.get_engine()
        schema = _schema_of(params)
        stop = params.get("stop") or (None if schema else _local_engine.CHAT_STOP)
        gen = engine.generate(
            _local_engine.format_chat(messages),
            json_schema=schema,
            max_new_tokens=int(params.get("max_tokens") or params.get("max_completion_tokens") or 512),
            temperature=float(params.get("temperature") or 0.0),
            seed=params.get("seed"),
            stop=stop,
        )
        return _response(f"local/{name}", gen.text, gen.prompt_tokens, gen.completion_tokens, gen.finish_reason)

    async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:  # type: ignore[override]
        """Generate in a worker thread so the event loop stays responsive."""
        return await asyncio.to_thread(self.completion, model, messages, *args, **kwargs)


class MockProvider(CustomLLM):
    """Scripted outputs for unit tests (never a default: the gateway refuses it unless allowed)."""

    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:  # type: ignore[override]
        """Return the next scripted output for this mock name."""
        name = model.split("/", 1)[-1]
        params: dict[str, Any] = kwargs.get("optional_params") or {}
        with _mock_lock:
            _requests.setdefault(name, []).append({"messages": messages, "params": params})
            script = _scripts.get(name)
            if script is None:
                raise ModelUnavailable(f"mock model {name!r} has no script; call proctor.llm.mock.script()")
            if callable(script):
                out: MockOutput = script
            elif script:
                out = script.pop(0)
            else:
                raise ModelUnavailable(f"mock model {name!r} ran out of scripted outputs")
        if callable(out):
            takes_params = len(inspect.signature(out).parameters) >= 2
            text = out(messages, params) if takes_params else out(messages)  # type: ignore[call-arg]
        else:
            text = out
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages)
        return _response(f"mock/{name}", text, prompt_tokens, len(text.split()), "stop")

    async def acompletion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:  # type: ignore[override]
        """Same as :meth:`completion`, in a worker thread (scripts may block, like a slow model)."""
        return await asyncio.to_thread(self.completion, model, messages, *args, **kwargs)


def script(name: str, outputs: list[MockOutput] | Callable[[list[dict[str, Any]]], str]) -> None:
    """Script mock model ``mock/<name>``.

    ``outputs`` is a list consumed in order, or a callable of the messages (and, if it takes a second
    argument, the call's parameters, e.g. ``params["response_format"]`` for structured calls).
    """
    with _mock_lock:
        _scripts[name] = list(outputs) if isinstance(outputs, list) else outputs
        _requests[name] = []


def requests(name: str) -> list[dict[str, Any]]:
    """Requests the mock model ``mock/<name>`` received (messages and parameters)."""
    return list(_requests.get(name, []))


def reset() -> None:
    """Forget every script and recorded request."""
    with _mock_lock:
        _scripts.clear()
        _requests.clear()


_installed = False


def install() -> None:
    """Register the ``local`` and ``mock`` providers with litellm (idempotent)."""
    global _installed
    if _installed:
        return
    providers = {p["provider"] for p in litellm.custom_provider_map}
    if "local" not in providers:
        litellm.custom_provider_map.append({"provider": "local", "custom_handler": LocalProvider()})
    if "mock" not in providers:
        litellm.custom_provider_map.append({"provider": "mock", "custom_handler": MockProvider()})
    litellm.utils.custom_llm_setup()
    _installed = True

