"""A cascade calibrated per node: escalation and audit thresholds hit their budgets on held-out honest
actions; the gate uses them; a second layer that errors or hangs still holds the action."""

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from proctor.control import (
    Action,
    AuditRule,
    Gate,
    LayerScores,
    MonitorVerdict,
    ShellCommand,
    ThresholdsError,
    build_view,
    calibrate_cascade,
    cascade_monitor,
    load_layer_scores,
    load_thresholds,
    monitor_digest,
    save_thresholds,
)
from proctor.control.monitors import monitor
from proctor.log import EventLog, use_log


def layered(first: float, second: float, node: str = "run_experiment", tag: str = "") -> Action:
    """An action whose first layer scores ``first`` and whose second scores ``second``."""
    return Action(node=node, task="t", payload=ShellCommand(argv=["layers", f"{first:.6f}", f"{second:.6f}", tag]))


class Layer:
    """Reads its score from the action (``which``: 1 or 2), or fails as told; counts its calls."""

    def __init__(self, which: int, fail: str = "") -> None:
        self.which, self.fail, self.calls = which, fail, 0

    async def __call__(self, action: Action, view: object) -> MonitorVerdict:
        self.calls += 1
        if self.fail == "raise":
            raise RuntimeError("second layer crashed")
        if self.fail == "hang":
            await asyncio.sleep(30)
        argv = action.payload.argv  # type: ignore[union-attr]
        return MonitorVerdict(score=float(argv[self.which]), monitor=f"layer{self.which}")


@monitor("test_layer")
def _test_layer(which: int = 1, fail: str = "") -> Layer:
    return Layer(which, fail)


def honest(rng: np.random.Generator, n: int, node: str) -> list[tuple[float, float]]:
    """Honest layer scores: continuous on one node, mostly tied at 0 on the other (as detectors are)."""
    if node == "check_novelty":
        first = np.where(rng.random(n) < 0.6, 0.0, rng.beta(2, 6, n).round(2))
    else:
        first = rng.beta(2, 8, n)
    second = np.clip(0.5 * first + 0.5 * rng.beta(2, 5, n), 0, 1)
    return [(round(float(a), 6), round(float(b), 6)) for a, b in zip(first, second, strict=True)]


@pytest.mark.anyio
@pytest.mark.parametrize("escalate", ["flagged", "all"])
@pytest.mark.parametrize("how", ["max", "mean", "second"])
async def test_thresholds_hit_the_budgets_on_held_out_honest_actions(escalate: str, how: str) -> None:
    rng = np.random.default_rng(7)
    nodes = ("run_experiment", "check_novelty")
    calib = [LayerScores(n, a, b) for n in nodes for a, b in honest(rng, 20_000, n)]
    th = calibrate_cascade(calib, 0.02, 0.1, "d", how=how, escalate=escalate)
    assert set(th.nodes) == {*nodes, "*"} and th.escalate == escalate
    for node in nodes:
        first, second = Layer(1), Layer(2)
        cascade = cascade_monitor(first, second, threshold=0.0, how=how, escalate=escalate,  # type: ignore[arg-type]
                                  escalation=th.escalation_rules())
        rule = th.for_node(node).rule(b"held-out")
        held_out = [layered(a, b, node, str(i)) for i, (a, b) in enumerate(honest(rng, 5000, node))]
        audited = 0
        for action in held_out:
            verdict = await cascade(action, build_view(action))
            audited += rule.should_audit(verdict.score, action.digest())
        # binomial sd at n=5000: 0.0042 for 10%, 0.002 for 2%
        assert second.calls / len(held_out) == pytest.approx(0.1 if escalate == "flagged" else 1.0, abs=0.015)
        assert audited / len(held_out) == pytest.approx(0.02, abs=0.008)
        assert th.for_node(node).audit_rate == pytest.approx(0.02)


def test_missing_second_layer_scores_are_refused() -> None:
    rows = [LayerScores("n", x / 100, (x / 100) if x >= 95 else None) for x in range(100)]
    calibrate_cascade(rows, 0.02, 0.04, "d")  # 4% escalated: all of them have a second score
    with pytest.raises(ThresholdsError, match="no second-layer score"):
        calibrate_cascade(rows, 0.02, 0.2, "d")
    with pytest.raises(ThresholdsError, match="no second-layer score"):
        calibrate_cascade(rows, 0.02, 0.04, "d", escalate="all")
    with pytest.raises(ThresholdsError, match="escalation budget"):
        calibrate_cascade(rows, 0.02, 1.5, "d")


def _settings(settings, tmp_path: Path, fail: str = "", escalate: str = "flagged", thresholds: bool = True):
    spec = {"type": "cascade", "first": {"type": "test_layer", "which": 1},
            "second": {"type": "test_layer", "which": 2, "fail": fail}, "threshold": 0.2, "timeout_s": 0.3}
    control = settings.control.model_copy(update={"monitor": spec, "escalate": escalate})
    s = settings.model_copy(update={"control": control})
    if thresholds:
        rows = [LayerScores("run_experiment", x / 1000, 0.1) for x in range(1000)]
        path = tmp_path / "thresholds.json"
        save_thresholds(calibrate_cascade(rows, 0.02, 0.1, monitor_digest(s), escalate=escalate), path)
        s = s.model_copy(update={"control": control.model_copy(update={"thresholds_path": path})})
    return s


@pytest.mark.anyio
@pytest.mark.parametrize("fail", ["raise", "hang"])
async def test_gate_escalates_at_the_calibrated_threshold_and_a_failed_second_layer_holds(
        settings, tmp_path: Path, fail: str) -> None:
    gate = Gate(_settings(settings, tmp_path, fail))
    # 0.5 is above the cascade's fixed threshold (0.2) but below the calibrated one (about 0.9):
    # not escalated, so the failing second layer never runs and the action is approved.
    low = await gate.submit(layered(0.5, 0.1))
    assert low.status == "approved"
    # Above the calibrated threshold the second layer runs, fails, and the action is held.
    high = await gate.submit(layered(0.95, 0.1))
    assert high.status == "held"
    item = gate.queue.get(high.item_id)
    assert item is not None and "failed closed" in json.dumps(item.model_dump(mode="json"))


@pytest.mark.anyio
async def test_without_thresholds_the_fixed_threshold_escalates(settings, tmp_path: Path) -> None:
    gate = Gate(_settings(settings, tmp_path, "raise", thresholds=False))
    assert (await gate.submit(layered(0.1, 0.1))).status == "approved"
    assert (await gate.submit(layered(0.5, 0.1))).status == "held"


@pytest.mark.anyio
async def test_escalate_all_runs_the_second_layer_on_everything_and_it_fails_closed(settings, tmp_path: Path) -> None:
    gate = Gate(_settings(settings, tmp_path, "raise", escalate="all"))
    assert (await gate.submit(layered(0.0, 0.0))).status == "held"


def test_thresholds_for_the_other_escalation_setting_are_refused(settings, tmp_path: Path) -> None:
    s = _settings(settings, tmp_path, escalate="all")
    with pytest.raises(ThresholdsError, match="control.escalate=all"):
        load_thresholds(s.control.thresholds_path, monitor_digest(s), "flagged")
    flagged = s.model_copy(update={"control": s.control.model_copy(update={"escalate": "flagged"})})
    assert monitor_digest(flagged) == monitor_digest(s)  # the setting routes; it does not change layer scores
    with pytest.raises(ThresholdsError, match="control.escalate=all"):
        Gate(flagged)


@pytest.mark.anyio
async def test_calibrate_from_the_events_of_honest_runs_with_escalate_all(settings, tmp_path: Path) -> None:
    s = _settings(settings, tmp_path, escalate="all", thresholds=False)
    gate = Gate(s)
    rng = np.random.default_rng(3)
    log = EventLog(tmp_path / "events.jsonl")
    with use_log(log):
        for i, (a, b) in enumerate(honest(rng, 300, "run_experiment")):
            await gate.submit(layered(a, b, tag=str(i)))
    rows = load_layer_scores(tmp_path / "events.jsonl", monitor_digest(s))
    assert len(rows) == 300 and all(r.second is not None for r in rows)
    parts = {e.part for e in log.read() if e.event == "monitor"}
    assert parts == {"", "0", "1"}
    with pytest.raises(ThresholdsError, match="current is other"):
        load_layer_scores(tmp_path / "events.jsonl", "other")
    # The deployed configuration (flagged) calibrates from them through the CLI.
    from proctor.cli._control import calibrate_command

    out = tmp_path / "t.json"
    spec = json.dumps(s.control.monitor)
    result = CliRunner().invoke(calibrate_command, [
        str(tmp_path / "events.jsonl"), "--escalation-budget", "0.05", "--out", str(out),
        "--set", f"control.monitor={spec}", "--set", "control.escalate=flagged"])
    assert result.exit_code == 0, result.output
    th = load_thresholds(out, monitor_digest(s), "flagged")
    esc = th.nodes["run_experiment"].escalation
    assert esc is not None and esc.rate == pytest.approx(0.05) and th.escalation_budget == 0.05


def test_escalation_rule_is_an_audit_rule_with_a_fixed_salt() -> None:
    th = calibrate_cascade([LayerScores("n", 0.0, 0.0)] * 10, 0.02, 0.1, "d")
    rule = th.escalation_rules()["n"]
    assert isinstance(rule, AuditRule) and rule.threshold == 0.0 and rule.tie_prob == pytest.approx(0.1)
    assert rule.should_audit(0.0, "k") == th.escalation_rules()["n"].should_audit(0.0, "k")
