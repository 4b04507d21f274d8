"""The litellm custom handlers of the embedded ``local/...`` and test-only ``mock/...`` models.

Both are registered through ``litellm.custom_provider_map`` (by :func:`proctor.llm._providers.install`),
so every call, ours or a real provider's, goes through ``litellm.acompletion`` and the same gateway
code. This module imports litellm at its top: only :func:`~proctor.llm._providers.install` imports it.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from litellm import CustomLLM
from litellm.types.utils import ModelResponse

from proctor.llm._providers import MockOutput, local_model_name, next_mock_output


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
    """Serves the embedded GGUF models in-process (one engine per model); ``response_format`` json_schema constrains decoding."""

    def completion(self, model: str, messages: list[Any], *args: Any, **kwargs: Any) -> ModelResponse:  # type: ignore[override]
        """Generate synchronously."""
        from proctor.llm import _local_engine  # noqa: PLC0415

        name = local_model_name(model)
        params: dict[str, Any] = kwargs.get("optional_params") or {}
        engine = _local_engine.get_engine(model=name)
        schema = _schema_of(params)
        stop = params.get("stop") or (None if schema else engine.chat_stop)
        gen = engine.generate(
            engine.chat_prompt(messages),
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
        out: MockOutput = next_mock_output(name, messages, params)
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


def register(litellm: Any) -> None:
    """Add the ``local`` and ``mock`` handlers to ``litellm.custom_provider_map`` where absent."""
    providers = {p["provider"] for p in litellm.custom_provider_map}
    if "local" not in providers:
        litellm.custom_provider_map.append({"provider": "local", "custom_handler": LocalProvider()})
    if "mock" not in providers:
        litellm.custom_provider_map.append({"provider": "mock", "custom_handler": MockProvider()})
    litellm.utils.custom_llm_setup()
