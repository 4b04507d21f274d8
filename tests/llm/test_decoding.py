"""The embedded engine's decoding step: the sampler never sees a NaN or inf probability.

Fast: no model is loaded (the forward passes use a scripted stand-in for the model).
"""

from __future__ import annotations

import types
from typing import Any

import pytest
import torch

from proctor.llm._decoding import DegenerateLogits, Stepper, allowed_tokens, next_token

V = 70  # three bitmask words


def _bitmask(*allowed: int) -> torch.Tensor:
    words = [0] * ((V + 31) // 32)
    for token in allowed:
        words[token // 32] |= 1 << (token % 32)
    return torch.tensor([[w - (1 << 32) if w >= 1 << 31 else w for w in words]], dtype=torch.int32)


def _masked(logits: torch.Tensor, *allowed: int) -> torch.Tensor:
    keep = torch.zeros(V, dtype=torch.bool)
    keep[list(allowed)] = True
    return torch.where(keep, logits, float("-inf"))


def test_the_old_sampler_raised_on_a_fully_masked_row() -> None:
    logits = torch.full((V,), float("-inf"))
    with pytest.raises(RuntimeError, match="probability tensor contains either"):
        torch.multinomial(torch.softmax(logits / 0.1, dim=-1), 1)


@pytest.mark.parametrize("temperature", [0.0, 0.1, 0.75, 1.5])
def test_all_minus_inf_takes_a_token_the_grammar_allows(temperature: float) -> None:
    logits = torch.full((V,), float("-inf"))
    assert next_token(logits, temperature, torch.Generator().manual_seed(0), _bitmask(5, 40)) == 5


def test_all_nan_with_a_prior_takes_the_allowed_token_the_prior_ranks_first() -> None:
    logits = torch.full((V,), float("nan"))
    prior = torch.zeros(V)
    prior[40], prior[6] = 3e4, 9e4  # 6 is ranked higher but not allowed
    assert next_token(logits, 0.0, None, _bitmask(5, 40), prior) == 40


@pytest.mark.parametrize("temperature", [0.1, 0.75, 2.0])
def test_nan_scores_are_never_sampled(temperature: float) -> None:
    logits = torch.randn(V, generator=torch.Generator().manual_seed(1))
    logits[::2] = float("nan")
    logits = _masked(logits, *range(0, V, 3))
    gen = torch.Generator().manual_seed(2)
    picks = {next_token(logits, temperature, gen) for _ in range(200)}
    assert picks and all(p % 2 == 1 and p % 3 == 0 for p in picks)


def test_plus_inf_is_taken_greedily_and_huge_scores_over_a_tiny_temperature_do_not_overflow() -> None:
    logits = torch.zeros(V)
    logits[7] = float("inf")
    assert next_token(logits, 0.7, torch.Generator().manual_seed(0)) == 7
    huge = torch.full((V,), -3e38)
    huge[11] = 3e38
    assert next_token(huge, 1e-3, torch.Generator().manual_seed(0)) == 11
    assert next_token(huge, 1e-30, None) == 11  # below GREEDY_BELOW: greedy


def test_sampling_follows_the_renormalised_distribution_over_allowed_tokens() -> None:
    logits = _masked(torch.zeros(V), 3, 4)
    gen = torch.Generator().manual_seed(0)
    counts = {3: 0, 4: 0}
    for _ in range(400):
        counts[next_token(logits, 1.0, gen)] += 1
    assert 120 < counts[3] < 280 and counts[3] + counts[4] == 400


def test_nothing_to_choose_is_a_clear_error() -> None:
    logits = torch.full((V,), float("-inf"))
    with pytest.raises(DegenerateLogits, match="no finite logit"):
        next_token(logits, 0.5, None)
    with pytest.raises(DegenerateLogits, match="grammar allows no next token"):
        next_token(logits, 0.5, None, _bitmask())


def test_allowed_tokens_unpacks_xgrammar_words_including_the_sign_bit() -> None:
    mask = allowed_tokens(_bitmask(0, 31, 32, 63, 69), V)
    assert mask.shape == (V,) and torch.nonzero(mask).flatten().tolist() == [0, 31, 32, 63, 69]


class _ScriptedModel:
    """Stands in for the causal LM: ``bad`` decides, per call, whether its logits come out NaN."""

    def __init__(self, bad: list[bool]) -> None:
        self.config = types.SimpleNamespace()
        self.bad, self.calls = bad, []

    def forward(self, input_ids: torch.Tensor, cache: Any = None, use_cache: bool = True,
                logits_to_keep: int = 0) -> Any:
        self.calls.append(input_ids.shape[1])
        logits = torch.zeros(1, input_ids.shape[1], V)
        if self.bad.pop(0) if self.bad else False:
            logits[:] = float("nan")
        return types.SimpleNamespace(logits=logits)

    __call__ = forward


@pytest.fixture(autouse=True)
def _no_real_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Stepper, "_new_cache", lambda self: object())


def test_the_stepper_recomputes_nan_logits_once_from_scratch() -> None:
    model = _ScriptedModel([False, True, False])
    step = Stepper(model, "cpu")
    assert step.cache_kw == "cache"
    assert torch.isfinite(step([1, 2, 3])).all()
    assert torch.isfinite(step([4])).all()  # NaN with the cache, finite recomputed
    assert model.calls == [3, 1, 4] and step.recomputed == 1


def test_the_stepper_reports_logits_that_stay_nan_and_never_returns_nan() -> None:
    seen: list[int] = []
    model = _ScriptedModel([True, True])
    logits = Stepper(model, "cpu", on_bad_logits=lambda: seen.append(1))([1, 2])
    assert seen == [1] and not torch.isnan(logits).any()
    assert next_token(logits, 0.3, None, _bitmask(9)) == 9
