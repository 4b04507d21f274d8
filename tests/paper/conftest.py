"""A small results table shared by the paper tests: a one-run baseline and a two-seed idea."""

from __future__ import annotations

import pytest

from proctor.paper import ResultsTable, aggregate


@pytest.fixture
def table() -> ResultsTable:
    return aggregate({
        "baseline": {"runs": [("run_0", {"digits": {"means": {"acc": 0.9312, "loss": float("nan")}}})]},
        "idea": {"runs": [("run_1", {"digits": {"means": {"acc": 0.95}}}),
                          ("run_2", {"digits": {"means": {"acc": 0.96}}})]},
    })
