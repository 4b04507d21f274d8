"""Cascades and ensembles, and building monitors from settings specs."""

import pytest

from proctor.control import (
    MonitorConfigError,
    build_monitor,
    build_view,
    cascade_monitor,
    ensemble_monitor,
    monitor_digest,
)
from proctor.registry import UnknownComponent
from tests.control.control_helpers import LabelMonitor, command


@pytest.mark.anyio
async def test_cascade_skips_careful_monitor_below_threshold() -> None:
    cheap, careful = LabelMonitor({"ls": 0.0, "curl": 0.6}), LabelMonitor({}, default=0.9)
    monitor = cascade_monitor(cheap, careful, threshold=0.2)
    low = await monitor(command("ls"), build_view(command("ls")))
    assert low.score == 0.0 and careful.calls == 0
    high = await monitor(command("curl"), build_view(command("curl")))
    assert high.score == 0.9 and careful.calls == 1 and [p.monitor for p in high.parts] == ["label", "label"]


@pytest.mark.anyio
@pytest.mark.parametrize(("how", "expected"), [("max", 0.8), ("mean", 0.5)])
async def test_ensemble(how: str, expected: float) -> None:
    monitor = ensemble_monitor([LabelMonitor({}, 0.2), LabelMonitor({}, 0.8)], how=how)  # type: ignore[arg-type]
    verdict = await monitor(command("ls"), build_view(command("ls")))
    assert verdict.score == pytest.approx(expected)


def test_build_from_spec_and_digest(settings) -> None:
    spec = {"type": "cascade", "first": {"type": "static"}, "second": {"type": "llm", "samples": 1}}
    assert callable(build_monitor(spec, settings))
    with pytest.raises(UnknownComponent, match="static"):
        build_monitor({"type": "nope"}, settings)
    with pytest.raises(MonitorConfigError):
        build_monitor({"type": "cascade", "first": {"type": "static"}}, settings)
    other = settings.model_copy(update={"control": settings.control.model_copy(update={"monitor": spec})})
    assert monitor_digest(settings) != monitor_digest(other)
