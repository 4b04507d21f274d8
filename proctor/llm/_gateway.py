"""The model gateway: every model call in Proctor goes through :class:`Model`.

A :class:`Model` is a role (``untrusted``, ``trusted``, ``reviewer``) bound to its configured model
string and fallbacks. Each call:

1. checks the run's budget (:class:`~proctor.llm._ledger.Ledger`), refusing once it is spent;
2. calls ``litellm.acompletion`` with a timeout, retrying transient errors with exponential
   backoff, then moving to the role's fallback models;
3. records a :class:`~proctor.log.ModelCallEvent` per attempt (role, model, tokens, cost,
   latency) and charges the ledger.

:meth:`Model.structured` adds schema-constrained output: the JSON schema of a pydantic model is
sent as ``response_format`` (the embedded model decodes under the grammar; API providers use
their native structured output), then the reply is validated, with bounded retries that show the
model its validation error.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from proctor.llm import _providers
from proctor.llm._errors import ModelError, ModelUnavailable, StructuredOutputError
from proctor.llm._ledger import current_ledger
from proctor.llm._tap import tap
from proctor.log import ModelCallEvent, emit
from proctor.settings import LLMSettings

T = TypeVar("T", bound=BaseModel)

_OWN_PROVIDERS = ("local/", "mock/")


class Completion(BaseModel):
    """One model reply with its usage."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    finish_reason: str | None = None


def _transient() -> tuple[type[BaseException], ...]:
    """Errors worth retrying with backoff (litellm's, so litellm is imported by then)."""
    exceptions = _providers.litellm_module().exceptions
    return (TimeoutError, exceptions.Timeout, exceptions.APIConnectionError, exceptions.RateLimitError,
            exceptions.ServiceUnavailableError, exceptions.InternalServerError)


def check_model_string(model: str, settings: LLMSettings) -> None:
    """Refuse a model string that cannot work, with the fix.

    Raises:
        ModelUnavailable: unknown provider, mock outside tests, or a missing API key.
    """
    if model.startswith("mock/"):
        if not settings.allow_mock:
            raise ModelUnavailable(
                f"{model!r} is a scripted test model; set a real model (e.g. local/gemma-3-270m) "
                "or llm.allow_mock=true in tests"
            )
        return
    if _providers.is_embedded(model):
        _providers.local_model_name(model)
        return
    litellm = _providers.litellm_module()
    try:
        _, provider, _, _ = litellm.get_llm_provider(model)
    except Exception as exc:  # litellm raises its own BadRequestError here
        raise ModelUnavailable(
            f"unknown model {model!r}: give a litellm model string such as openai/gpt-4o, "
            "anthropic/claude-sonnet-4-5, ollama/llama3, hosted_vllm/NAME (with llm.api_base), "
            "or the embedded local/gemma-3-270m"
        ) from exc
    if provider in ("ollama", "ollama_chat", "hosted_vllm", "openai_like") or settings.api_base:
        return
    env = litellm.validate_environment(model)
    missing = env.get("missing_keys") or []
    if not env.get("keys_in_environment", True) and missing:
        raise ModelUnavailable(f"{model!r} needs {', '.join(missing)} in the environment; export it and retry")


def _describe(exc: BaseException) -> str:
    """One readable line for a provider error (litellm appends bug-report boilerplate)."""
    text = str(exc).split("This looks like a bug in LiteLLM")[0].strip() or "timed out"
    return f"{type(exc).__name__}: {' '.join(text.split())[:400]}"


def _strip_to_json(text: str) -> str:
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fenced:
        return fenced.group(1).strip()
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    return text[start:].strip() if start >= 0 else text.strip()


class Model:
    """A role bound to its models; the only way Proctor code calls a model."""

    def __init__(self, role: str, settings: LLMSettings) -> None:
        self.role = role
        self.settings = settings
        self.models = [settings.model_for(role), *settings.fallbacks.get(role, [])]
        for model in self.models:
            check_model_string(model, settings)
        _providers.install()

    @property
    def name(self) -> str:
        """The primary model string."""
        return self.models[0]

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        response_format: dict[str, Any] | None = None,
        seed: int | None = None,
        schema_name: str | None = None,
    ) -> Completion:
        """One completion, with budget check, retries, fallbacks and a ledger entry.

        Raises:
            BudgetExceeded: the run's budget is spent.
            ModelUnavailable: every configured model failed (the message says why and how to fix).
        """
        ledger = current_ledger()
        tap(self.role, messages)
        errors: list[str] = []
        for model in self.models:
            for attempt in range(1, self.settings.max_retries + 2):
                if ledger is not None:
                    ledger.check()
                started = time.perf_counter()
                try:
                    reply = await self._call(model, messages, max_tokens, temperature, response_format, seed)
                except ModelError as exc:
                    self._log_failure(model, attempt, started, exc, schema_name)
                    errors.append(f"{model}: {exc}")
                    break
                except _transient() as exc:
                    self._log_failure(model, attempt, started, exc, schema_name)
                    errors.append(f"{model}: {_describe(exc)}")
                    if attempt <= self.settings.max_retries:
                        await asyncio.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
                        continue
                    break
                except Exception as exc:  # auth, bad request, not found: no point retrying
                    self._log_failure(model, attempt, started, exc, schema_name)
                    errors.append(f"{model}: {_describe(exc)}")
                    break
                emit(ModelCallEvent(
                    role=self.role, model=model, prompt_tokens=reply.prompt_tokens,
                    completion_tokens=reply.completion_tokens, cost_usd=reply.cost_usd,
                    latency_s=reply.latency_s, attempt=attempt, structured=schema_name,
                ))
                if ledger is not None:
                    ledger.record(reply.prompt_tokens + reply.completion_tokens, reply.cost_usd)
                return reply
        raise ModelUnavailable(
            f"role {self.role!r}: every model failed ({'; '.join(errors)}). Check the model string, "
            "its API key and llm.api_base, or add llm.fallbacks for this role"
        )

    async def _call(
        self,
        model: str,
        messages: list[dict[str, Any]],
        max_tokens: int | None,
        temperature: float | None,
        response_format: dict[str, Any] | None,
        seed: int | None,
    ) -> Completion:
        timeout = self.settings.local_timeout_s if _providers.is_embedded(model) else self.settings.timeout_s
        kwargs: dict[str, Any] = {
            "model": model, "messages": messages, "timeout": timeout,
            "max_tokens": max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature if temperature is None else temperature,
            "num_retries": 0,
        }
        if seed is not None:
            kwargs["seed"] = seed
        if response_format is not None:
            kwargs["response_format"] = response_format
        if not model.startswith(_OWN_PROVIDERS):
            kwargs["drop_params"] = True  # e.g. `seed` for providers without it
            if self.settings.api_base:
                kwargs["api_base"] = self.settings.api_base
        if model.startswith(_OWN_PROVIDERS):
            kwargs["drop_params"] = False
        litellm = _providers.litellm_module()
        started = time.perf_counter()
        response = await asyncio.wait_for(
            litellm.acompletion(**kwargs), timeout=timeout + 5
        )
        latency = time.perf_counter() - started
        usage = getattr(response, "usage", None)
        try:
            cost = 0.0 if model.startswith(_OWN_PROVIDERS) else float(
                litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # unknown price: count tokens, not dollars
            cost = 0.0
        choice = response.choices[0]
        return Completion(
            text=choice.message.content or "", model=model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=cost, latency_s=latency, finish_reason=choice.finish_reason,
        )

    def _log_failure(self, model: str, attempt: int, started: float, exc: BaseException,
                     schema_name: str | None) -> None:
        emit(ModelCallEvent(
            role=self.role, model=model, ok=False, attempt=attempt, structured=schema_name,
            latency_s=time.perf_counter() - started, error=_describe(exc),
        ))

    async def structured(
        self,
        messages: list[dict[str, Any]],
        output: type[T],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> T:
        """A reply parsed and validated as ``output``.

        Raises:
            StructuredOutputError: no valid reply within ``llm.structured_retries`` retries.
            BudgetExceeded, ModelUnavailable: as for :meth:`complete`.
        """
        schema = output.model_json_schema()
        fmt = {"type": "json_schema",
               "json_schema": {"name": output.__name__, "schema": schema, "strict": True}}
        convo = list(messages)
        if not self.name.startswith(_OWN_PROVIDERS):
            convo = [*convo[:-1], {**convo[-1], "content": f"{convo[-1]['content']}\n\nAnswer with "
                     f"JSON only, matching this JSON schema:\n{json.dumps(schema)}"}]
        last_error = ""
        for _ in range(self.settings.structured_retries + 1):
            reply = await self.complete(convo, max_tokens=max_tokens, temperature=temperature,
                                        response_format=fmt, seed=seed, schema_name=output.__name__)
            try:
                return output.model_validate_json(_strip_to_json(reply.text))
            except ValidationError as exc:
                last_error = str(exc)[:1500]
                convo = [*convo, {"role": "assistant", "content": reply.text},
                         {"role": "user", "content": f"That reply did not validate:\n{last_error}\n"
                          "Reply again with corrected JSON only."}]
        raise StructuredOutputError(
            f"{self.name} gave no valid {output.__name__} after "
            f"{self.settings.structured_retries + 1} tries; last error: {last_error}. "
            "Use a stronger model for this role or raise llm.structured_retries"
        )


def get_model(role: str, settings: Any) -> Model:
    """The :class:`Model` for ``role`` under ``settings`` (a ``Settings`` or ``LLMSettings``).

    Raises:
        ModelUnavailable: the configured model string cannot work (the message names the fix).
    """
    llm = settings if isinstance(settings, LLMSettings) else settings.llm
    return Model(role, llm)
