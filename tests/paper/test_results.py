"""The results table: seeds aggregate to mean and std, each cell keeps its runs, NaN is dropped."""

from __future__ import annotations

from proctor.paper import ResultsTable


def test_aggregate_means_stds_and_provenance(table: ResultsTable) -> None:
    cell = table.rows["idea"]["digits"]["acc"]
    assert cell.n == 2 and abs(cell.mean - 0.955) < 1e-12 and cell.runs == ["run_1", "run_2"]
    assert "loss" not in table.rows["baseline"]["digits"]  # NaN never reaches the paper
    assert "| idea | 0.9550 ± 0.0071 |" in table.to_markdown()
