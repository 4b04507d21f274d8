"""Building monitors from their settings spec, and the digest that names a monitor configuration.

A spec is ``{"type": <registered name>, **kwargs}``. Composites nest specs: ``cascade`` under
``first``/``second``, ``ensemble`` under ``monitors``. The digest covers the spec, the allowed
imports, the static rules' source, the semgrep rules and the module that runs them, the trusted
model string and the prompt templates, so thresholds calibrated under one configuration are refused
under another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, cast

from proctor.control.core import AuditRule, Monitor
from proctor.control.monitors._registry import MONITORS

STATIC_RULES_VERSION = "static-1"
_STATIC_SOURCES = ("_findings.py", "_python.py", "_reasoning.py", "_shell.py", "_static.py")
_NESTED = {"cascade": ("first", "second"), "ensemble": ("monitors",)}


class MonitorConfigError(ValueError):
    """The monitor spec in settings is malformed."""


def build_monitor(spec: dict[str, Any], settings: Any = None,
                  escalation: Mapping[str, AuditRule] | None = None) -> Monitor:
    """Instantiate the monitor ``spec`` describes.

    A cascade takes ``control.escalate`` from ``settings`` (unless its spec says), and the top-level
    cascade the calibrated ``escalation`` rules by node type (from the thresholds file), if any.

    Raises:
        MonitorConfigError: when the spec has no ``type`` or bad arguments.
        proctor.registry.UnknownComponent: when the type is not registered.
    """
    import proctor.control.monitors._compose  # noqa: F401  (registers composites)
    import proctor.control.monitors._detectors  # noqa: F401
    import proctor.control.monitors._learned  # noqa: F401
    import proctor.control.monitors._llm  # noqa: F401
    import proctor.control.monitors._semgrep  # noqa: F401
    import proctor.control.monitors._static  # noqa: F401

    if not isinstance(spec, dict) or "type" not in spec:
        raise MonitorConfigError(f"a monitor spec needs a 'type', got {spec!r}")
    kind = str(spec["type"])
    factory = MONITORS.get(kind)
    kwargs = {k: v for k, v in spec.items() if k != "type"}
    for key in _NESTED.get(kind, ()):
        if key not in kwargs:
            raise MonitorConfigError(f"{kind} monitor needs {key!r}")
        value = kwargs[key]
        kwargs[key] = [build_monitor(s, settings) for s in value] if isinstance(value, list) else build_monitor(value, settings)
    if kind in ("static", "learned", "bandit", "secrets", "bash", "iac", "logic") and settings is not None:
        kwargs.setdefault("allowed_imports", settings.control.allowed_imports)
    if kind == "cascade":
        if settings is not None:
            kwargs.setdefault("escalate", settings.control.escalate)
        if escalation:
            kwargs["escalation"] = escalation
    if kind == "semgrep" and settings is not None:
        kwargs.setdefault("binary", settings.control.semgrep_bin)
    if kind == "llm" and settings is not None:
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("max_chars", settings.control.max_render_chars)
    try:
        return cast(Monitor, factory(**kwargs))  # type: ignore[operator]
    except TypeError as exc:
        raise MonitorConfigError(f"bad arguments for monitor {kind!r}: {exc}") from exc


def _types(spec: Any) -> set[str]:
    if isinstance(spec, list):
        return set().union(*(_types(s) for s in spec)) if spec else set()
    if not isinstance(spec, dict):
        return set()
    found = {str(spec.get("type"))}
    for value in spec.values():
        found |= _types(value)
    return found


def monitor_digest(settings: Any) -> str:
    """Short SHA-256 naming the monitor configuration in ``settings``."""
    spec = settings.control.monitor
    body: dict[str, Any] = {"spec": spec, "rules": STATIC_RULES_VERSION}
    kinds = _types(spec)
    detector_kinds = {"learned", "bandit", "secrets", "bash", "iac", "logic"}
    if kinds & detector_kinds:
        from importlib import resources

        root = resources.files("proctor.control.monitors")
        sources = sorted(e.name for e in root.iterdir() if e.name.endswith(".py"))
        parts = [root.joinpath(n).read_bytes() for n in (*sources, "data/learned.json")
                 if root.joinpath(n).is_file()]
        body["detectors_source"] = hashlib.sha256(b"".join(parts)).hexdigest()
    if "semgrep" in kinds:
        from proctor.control.monitors._semgrep import rules_digest

        body["semgrep_rules"] = rules_digest()
    if "static" in kinds or kinds & detector_kinds:
        from importlib import resources

        body["allowed_imports"] = sorted(settings.control.allowed_imports)
        # Any edit to the rules changes the digest, so stale thresholds are refused automatically.
        root = resources.files("proctor.control.monitors")
        body["rules_source"] = hashlib.sha256(b"".join(
            root.joinpath(name).read_bytes() for name in _STATIC_SOURCES)).hexdigest()
    if "llm" in kinds:
        from proctor.prompts import environment

        env = environment()
        body["model"] = settings.llm.trusted
        body["prompts"] = [env.loader.get_source(env, n)[0]  # type: ignore[union-attr]
                           for n in ("control/monitor_system.j2", "control/monitor_action.j2")]
    raw = json.dumps(body, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]
