"""Calibration: per-node quantile thresholds with tie splitting, versioned by monitor digest."""

import json
from pathlib import Path

import numpy as np
import pytest

from proctor.control import (
    ThresholdsError,
    calibrate,
    load_scores,
    load_thresholds,
    quantile_threshold,
    save_thresholds,
)


@pytest.mark.parametrize("scores", [
    list(np.linspace(0, 1, 500)), [0.0] * 90 + [0.2] * 9 + [0.9], [0.1] * 100, [0.0] * 97 + [0.5] * 3,
], ids=["distinct", "ties-at-threshold", "all-equal", "budget-inside-tie"])
def test_audit_rate_equals_budget(scores: list[float]) -> None:
    t, q = quantile_threshold(scores, 0.02)
    s = np.asarray(scores)
    assert np.mean(s > t) + q * np.mean(s == t) == pytest.approx(0.02)


def test_per_node_and_pooled(tmp_path: Path) -> None:
    rows = [("a", x) for x in np.linspace(0, 1, 100)] + [("b", 0.0)] * 50
    th = calibrate(rows, 0.02, "d1")
    assert set(th.nodes) == {"a", "b", "*"}
    assert th.for_node("a").threshold > th.for_node("b").threshold
    assert th.for_node("unknown") == th.nodes["*"]
    path = tmp_path / "t.json"
    save_thresholds(th, path)
    assert load_thresholds(path, "d1").nodes["a"].audit_rate == pytest.approx(0.02)
    with pytest.raises(ThresholdsError, match="calibrated for monitor config d1"):
        load_thresholds(path, "d2")


def test_load_scores_from_jsonl_and_events(tmp_path: Path) -> None:
    plain = tmp_path / "s.jsonl"
    plain.write_text('{"node_type": "a", "score": 0.1}\n{"node_type": "b", "score": 0.3}\n')
    assert load_scores(plain) == [("a", 0.1), ("b", 0.3)]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in [
        {"event": "monitor", "final": True, "node_type": "a", "score": 0.4, "monitor_digest": "d"},
        {"event": "monitor", "final": False, "node_type": "a", "score": 0.9, "monitor_digest": "d"},
        {"event": "monitor", "final": True, "parsed": False, "node_type": "a", "score": 1.0, "monitor_digest": "d"},
        {"event": "stage", "stage": "x"}]) + "\n")
    assert load_scores(events, "d") == [("a", 0.4)]
    with pytest.raises(ThresholdsError, match="current is other"):
        load_scores(events, "other")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(ThresholdsError, match="bad.jsonl:1"):
        load_scores(bad)
