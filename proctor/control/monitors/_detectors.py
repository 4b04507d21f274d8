"""Each detector as a monitor in the registry: the noisy-or of its findings, failing closed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from proctor.control.core import Action, Monitor, MonitorVerdict, TrajectoryView, fail_closed
from proctor.control.monitors._evidence import collect_evidence
from proctor.control.monitors._findings import Finding, noisy_or
from proctor.control.monitors._registry import monitor
from proctor.settings import DEFAULT_IMPORTS


def verdict(name: str, findings: Sequence[Finding]) -> MonitorVerdict:
    """A verdict from findings: noisy-or score, reasons and categories."""
    return MonitorVerdict(score=noisy_or(findings), monitor=name,
                          reasons=[f"[{f.category} {f.weight:.2f}] {f.reason}" for f in findings][:30],
                          categories=sorted({f.category for f in findings}))


def detector_monitor(layer: str, allowed_imports: Sequence[str] | None = None, workdir: str | None = None,
                     timeout_s: float = 10.0) -> Monitor:
    """A monitor that scores one detector layer (``bandit``, ``secrets``, ``bash``, ``iac``)."""
    allowed = list(allowed_imports) if allowed_imports is not None else list(DEFAULT_IMPORTS)

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        try:
            ev = await asyncio.wait_for(asyncio.to_thread(
                collect_evidence, action, allowed_imports=allowed, workdir=workdir, embed=False), timeout_s)
        except TimeoutError:
            return fail_closed(layer, f"timed out after {timeout_s:g} s")
        except Exception as exc:  # a detector that crashes must hold the action, not allow it
            return fail_closed(layer, f"{type(exc).__name__}: {str(exc)[:200]}")
        return verdict(layer, ev.layers.get(layer, []))

    return score


for _layer in ("bandit", "secrets", "bash", "iac", "logic"):
    def _factory(allowed_imports: Sequence[str] | None = None, workdir: str | None = None,
                 timeout_s: float = 10.0, _layer: str = _layer) -> Monitor:
        return detector_monitor(_layer, allowed_imports, workdir, timeout_s)

    _factory.__doc__ = f"The {_layer} detector alone (see proctor.control.monitors)."
    monitor(_layer)(_factory)
