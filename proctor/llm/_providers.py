"""Proctor's own model providers, the parts that need no litellm: names and the mock scripts.

The embedded ``local/...`` model and the test-only ``mock/...`` are litellm custom providers
(:mod:`proctor.llm._handlers`); they are registered by :func:`install`, which is the first place
litellm is imported. Importing this module, or the gateway, costs no litellm start-up (seconds), so
commands that call no model (``proctor runs list``, ``proctor config show``) start at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from proctor.llm._errors import ModelUnavailable
from proctor.llm._local_models import SPECS, local_spec

LOCAL_MODELS = set(SPECS)
"""The embedded models' names (``local/<name>``)."""

MockOutput = str | Callable[[list[dict[str, Any]]], str]
_scripts: dict[str, list[MockOutput] | Callable[[list[dict[str, Any]]], str]] = {}
_requests: dict[str, list[dict[str, Any]]] = {}
_mock_lock = threading.Lock()


def litellm_module() -> Any:
    """litellm, imported on first use and configured for Proctor (no telemetry, no debug banner)."""
    import litellm  # noqa: PLC0415  (seconds of import: only where a model is called)

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


def is_embedded(model: str) -> bool:
    """Whether ``model`` names an embedded, in-process model (``local/...``)."""
    return model.startswith("local/")


def local_model_name(model: str) -> str:
    """The embedded model named by ``local/<name>``.

    Raises:
        ModelUnavailable: when no such model is embedded.
    """
    return local_spec(model).name


def next_mock_output(name: str, messages: list[Any], params: dict[str, Any]) -> MockOutput:
    """Record a request to ``mock/<name>`` and return its next scripted output.

    Raises:
        ModelUnavailable: no script for ``name``, or the script ran out.
    """
    with _mock_lock:
        _requests.setdefault(name, []).append({"messages": messages, "params": params})
        script = _scripts.get(name)
        if script is None:
            raise ModelUnavailable(f"mock model {name!r} has no script; call proctor.llm.mock.script()")
        if callable(script):
            return script
        if script:
            return script.pop(0)
        raise ModelUnavailable(f"mock model {name!r} ran out of scripted outputs")


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
_install_lock = threading.Lock()


def install() -> None:
    """Register the ``local`` and ``mock`` providers with litellm (idempotent; imports litellm)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from proctor.llm import _handlers  # noqa: PLC0415

        _handlers.register(litellm_module())
        _installed = True
