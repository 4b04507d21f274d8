"""The claim check: a number in the prose must match a result at the precision it is written."""

from __future__ import annotations

from proctor.paper import ResultsTable, check_claims


def test_claim_check_matches_at_the_precision_written(table: ResultsTable) -> None:
    support = table.numbers()
    text = {"r": "Accuracy rose from 93.1% to 0.955 (0.96 best) over 5 seeds in 2024, not 0.97 or 81.5%."}
    flagged = [c.number for c in check_claims(text, support)]
    assert flagged == ["0.97", "81.5%"]
