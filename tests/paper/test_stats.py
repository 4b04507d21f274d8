"""The harness's statistics: intervals, Welch's test, the correction across a paper, verdicts, and the text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats as sps

from proctor.paper import Prose, aggregate, compare, direction, write_paper


def _table(base: dict[str, list[float]], idea: dict[str, list[float]], dataset: str = "digits"):
    def runs(prefix: str, values: dict[str, list[float]]) -> list:
        n = len(next(iter(values.values())))
        return [(f"{prefix}_{i}", {dataset: {"means": {m: v[i] for m, v in values.items()}}}) for i in range(n)]
    return aggregate({"baseline": {"runs": runs("run_0", base)}, "idea": {"runs": runs("run_1", idea)}})


def test_a_clear_gain_is_better_and_a_rise_in_loss_is_worse() -> None:
    table = _table({"test_acc": [0.80, 0.81, 0.79], "val_loss": [0.50, 0.52, 0.51]},
                   {"test_acc": [0.90, 0.91, 0.89], "val_loss": [0.70, 0.72, 0.71]})
    by = {c.metric: c for c in compare(table)}
    acc, loss = by["test_acc"], by["val_loss"]
    assert acc.verdict == "better" and loss.verdict == "worse"
    assert acc.difference == pytest.approx(0.10) and acc.difference_ci[0] > 0
    assert acc.baseline.ci[0] < 0.80 < acc.baseline.ci[1] and acc.idea.n == 3
    assert acc.hedges_g > 5 and acc.p_adjusted < 0.05
    # The same numbers scipy gives (Welch: unequal variances).
    assert acc.p == pytest.approx(sps.ttest_ind([0.90, 0.91, 0.89], [0.80, 0.81, 0.79], equal_var=False).pvalue)


def test_noise_is_no_detectable_difference_and_one_run_is_not_tested() -> None:
    noisy = _table({"acc": [0.80, 0.85, 0.75]}, {"acc": [0.81, 0.79, 0.83]})
    assert [c.verdict for c in compare(noisy)] == ["no detectable difference"]
    constant = _table({"temperature": [1.0, 1.0, 1.0]}, {"temperature": [1.0, 1.0, 1.0]})
    (same,) = compare(constant)
    assert same.verdict == "no detectable difference" and same.p is None and "same value" in same.note
    shifted = compare(_table({"temperature": [1.0, 1.0, 1.0]}, {"temperature": [2.0, 2.0, 2.0]}))[0]
    assert shifted.verdict == "not tested" and "deterministic" in shifted.note
    single = _table({"acc": [0.80]}, {"acc": [0.90]})
    (only,) = compare(single)
    assert only.verdict == "not tested" and only.p is None and "no test is possible" in only.note


def test_the_correction_spans_every_metric_and_dataset_of_the_paper() -> None:
    base, idea = [0.50, 0.52, 0.48], [0.545, 0.56, 0.535]  # alone: p a little under 0.05
    alone = compare(_table({"acc": base}, {"acc": idea}))[0]
    assert alone.p < 0.05 and alone.verdict == "better"
    flat = [0.5, 0.6, 0.4]
    many = _table({"acc": base, **{f"m{i}": flat for i in range(9)}}, {"acc": idea, **{f"m{i}": flat for i in range(9)}})
    acc = next(c for c in compare(many) if c.metric == "acc")
    assert acc.p == pytest.approx(alone.p) and acc.p_adjusted > 0.05 and acc.verdict == "no detectable difference"


def test_a_metric_whose_name_does_not_rank_gets_a_direction_only() -> None:
    (c,) = compare(_table({"infected_peak": [10.0, 11.0, 10.5]}, {"infected_peak": [20.0, 21.0, 20.5]}))
    assert c.better is None and c.verdict == "higher"
    assert direction("final_val_loss_mean") == "lower" and direction("test_accuracy") == "higher"
    assert direction("accuracy_error") is None and direction("total_infected") is None


def test_seeds_a_template_reports_itself_count_only_when_they_are_its_mean() -> None:
    block = {"means": {"final_val_acc_mean": 0.9}, "final_info_dict": {"final_val_acc": [0.88, 0.9, 0.92]}}
    table = aggregate({"baseline": {"runs": [("run_0", {"x": block})]}})
    cell = table.rows["baseline"]["x"]["final_val_acc_mean"]
    assert cell.n == 3 and cell.values == [0.88, 0.9, 0.92] and cell.runs[0] == "run_0#0"
    for bad in ([0.1, 0.2, 0.3], [True, 0.9, 0.9], ["0.9", 0.9, 0.9], [0.9] * 1000, [0.9]):
        block = {"means": {"final_val_acc_mean": 0.9}, "final_info_dict": {"final_val_acc": bad}}
        cell = aggregate({"b": {"runs": [("run_0", {"x": block})]}}).rows["b"]["x"]["final_val_acc_mean"]
        assert cell.n == 1 and cell.values == [0.9], bad


def test_the_paper_opens_its_results_with_the_harness_statistics(tmp_path: Path) -> None:
    table = _table({"test_acc": [0.80, 0.81, 0.79]}, {"test_acc": [0.90, 0.91, 0.89]})
    empty = "[The model wrote no text for this section.]"
    prose = Prose(title="A gain", abstract=empty, introduction=empty, method=empty, results_discussion=empty,
                  conclusion=empty)
    paper = write_paper(tmp_path, prose=prose, table=table, figures=[], references=[], run_id="r1", support=[],
                        integrity=["knob test_fraction changed from 0.2 to 0.05"])
    md = (tmp_path / "paper.md").read_text()
    assert "Statistical comparison (harness-written)" in md and "not by the model" in md
    assert "test_acc was better with the idea" in md and r"0.9 \[0.8752, 0.9248\] (n=3)" in md
    assert "Evaluation integrity" in md and "test_fraction" in md
    assert md.index("Evaluation integrity") < md.index("| condition |")
    assert "(Harness summary; the model wrote no abstract.)" in md  # the abstract is not left empty
    assert paper.unsupported == []  # the harness's own numbers are never flagged
    saved = json.loads((tmp_path / "statistics.json").read_text())
    assert saved[0]["verdict"] == "better" and saved[0]["idea"]["n"] == 3
    tex = (tmp_path / "paper.tex").read_text()
    assert r"metric & baseline & idea \\" in tex  # a table per dataset, conditions as columns
    assert "Hedges'" in tex and "better" in tex


def test_near_identical_seeds_give_a_verdict_without_a_warning() -> None:
    import warnings

    table = _table({"acc": [0.9666666666666667, 0.9666666666666667, 0.9666666666666668]}, {"acc": [1.0, 1.0, 1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's precision-loss RuntimeWarning would fail here
        (c,) = compare(table)
    assert c.verdict in ("better", "not tested", "no detectable difference") and c.idea.mean == 1.0
