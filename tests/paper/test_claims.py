"""The claim check: a number in the prose must match a result at the precision it is written."""

from __future__ import annotations

from proctor.paper import ResultsTable, check_claims


def test_claim_check_matches_at_the_precision_written(table: ResultsTable) -> None:
    support = table.numbers()
    text = {"r": "Accuracy rose from 93.1% to 0.955 (0.96 best) over 5 seeds in 2024, not 0.97 or 81.5%."}
    flagged = [c.number for c in check_claims(text, support)]
    assert flagged == ["0.97", "81.5%"]


def test_small_integers_and_years_pass_only_in_context() -> None:
    text = {"r": "We ran 3 seeds with 2 hidden layers (Figure 4), as in Smith et al. (2019) and in 2020. "
                 "Accuracy improved by 7 on digits, a 3 times speed-up, and reached 2021 points."}
    assert [c.number for c in check_claims(text, [])] == ["7", "3", "2021"]


def test_the_title_and_captions_are_checked_when_the_caller_passes_them(table: ResultsTable) -> None:
    flagged = check_claims({"title": "Warmup reaches 0.99 accuracy", "caption 1": "acc of 0.96"}, table.numbers())
    assert [(c.section, c.number) for c in flagged] == [("title", "0.99")]


def test_numbers_the_agent_set_are_settings_not_results(table: ResultsTable) -> None:
    settings = {"learning_rate": [0.03], "DROPOUT": [0.35]}
    text = {"m": "We raise the learning rate to 0.03 and set dropout 0.35.",
            "r": "The model reaches 0.35 on digits, above 0.03."}
    flagged = check_claims(text, table.numbers(), settings=settings)
    assert [(c.section, c.number, c.reason) for c in flagged] == [
        ("r", "0.35", "a value the agent set, not a result"), ("r", "0.03", "a value the agent set, not a result")]
