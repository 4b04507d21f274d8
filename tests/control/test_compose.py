"""Cascades and ensembles (failing closed on any failed member), and building monitors from specs."""

import asyncio

import pytest

from proctor.control import (
    MonitorConfigError,
    MonitorVerdict,
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


class _Raises:
    async def __call__(self, action, view):
        raise RuntimeError("monitor crashed")


class _Hangs:
    async def __call__(self, action, view):
        await asyncio.sleep(30)


class _Unparsed:
    """A monitor reporting a failure with a low score (as a sloppy custom monitor might)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, action, view):
        self.calls += 1
        return MonitorVerdict(score=0.0, parsed=False, monitor="sloppy", reasons=["reply did not parse"])


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["max", "mean"])
@pytest.mark.parametrize("bad", [_Raises, _Unparsed, _Hangs], ids=["raises", "unparsed", "times-out"])
async def test_ensemble_with_a_failed_member_fails_closed(how: str, bad: type) -> None:
    good = [LabelMonitor({}, 0.1), LabelMonitor({}, 0.2)]
    monitor = ensemble_monitor([*good, bad()], how=how, timeout_s=0.2)  # type: ignore[arg-type]
    verdict = await asyncio.wait_for(monitor(command("ls"), build_view(command("ls"))), 5)
    assert verdict.score == 1.0 and not verdict.parsed
    assert verdict.reasons[0].startswith("1 of 3 monitors failed")
    assert len(verdict.parts) == 3 and [p.parsed for p in verdict.parts] == [True, True, False]


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["max", "mean", "second"])
@pytest.mark.parametrize(("first", "second", "failed"), [
    ("raises", "good", 1), ("unparsed", "good", 1), ("raises", "raises", 2),
    ("unparsed", "unparsed", 2), ("flags", "raises", 1), ("flags", "hangs", 1), ("hangs", "good", 1),
])
async def test_cascade_with_a_failed_layer_fails_closed(how: str, first: str, second: str, failed: int) -> None:
    layers = {"raises": _Raises, "unparsed": _Unparsed, "hangs": _Hangs,
              "flags": lambda: LabelMonitor({}, 0.5), "good": lambda: LabelMonitor({}, 0.0)}
    careful = layers[second]()
    monitor = cascade_monitor(layers[first](), careful, threshold=0.2, how=how, timeout_s=0.2)  # type: ignore[arg-type]
    verdict = await asyncio.wait_for(monitor(command("ls"), build_view(command("ls"))), 5)
    assert verdict.score == 1.0 and not verdict.parsed
    assert verdict.reasons[0].startswith(f"{failed} of 2 monitors failed")
    assert len(verdict.parts) == 2  # a failed first layer escalates to the second
    if hasattr(careful, "calls"):
        assert careful.calls == 1


@pytest.mark.anyio
async def test_cascade_second_decides_alone_when_both_parse() -> None:
    monitor = cascade_monitor(LabelMonitor({}, 0.5), LabelMonitor({}, 0.1), how="second")
    verdict = await monitor(command("ls"), build_view(command("ls")))
    assert verdict.score == pytest.approx(0.1) and verdict.parsed


@pytest.mark.anyio
async def test_nested_failure_propagates() -> None:
    inner = ensemble_monitor([LabelMonitor({}, 0.1), _Unparsed()], how="mean", name="inner")  # type: ignore[list-item]
    monitor = cascade_monitor(LabelMonitor({}, 0.5), inner, how="second")
    verdict = await monitor(command("ls"), build_view(command("ls")))
    assert verdict.score == 1.0 and not verdict.parsed and "inner" in verdict.reasons[0]
