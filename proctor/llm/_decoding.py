"""One decoding step of the embedded engine: forward passes that recover from NaN or inf logits,
and a sampler that never sees a NaN or inf probability.

``torch.multinomial(torch.softmax(logits / T))`` raises "probability tensor contains either inf,
nan or element < 0" whenever one logit is NaN or +inf, or every logit is -inf (a grammar mask that
allowed no token the model scored finitely); with a fixed seed a retry fails the same way.
:func:`next_token` instead:

1. works in float32, on the finite logits only (NaN and -inf are never sampled; a +inf logit is
   taken greedily);
2. divides by the temperature after subtracting the maximum, so a small temperature cannot
   overflow, and decodes greedily at ``temperature <= 0`` (or below :data:`GREEDY_BELOW`);
3. falls back to greedy when the renormalised distribution is still degenerate;
4. with no finite logit at all, picks a token the grammar bitmask allows (a valid continuation
   of the JSON), and raises a clear :class:`DegenerateLogits` only when the grammar allows none.

:class:`Stepper` runs the forward passes of one call; logits that came out NaN or inf are
recomputed once from scratch before the sampler sees them (see its docstring).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch

GREEDY_BELOW = 1e-5
"""Temperatures below this decode greedily (the distribution is one-hot to float precision)."""


class DegenerateLogits(RuntimeError):
    """No token can be chosen: every logit is non-finite and the grammar allows nothing."""


def allowed_tokens(bitmask: Any, vocab: int) -> torch.Tensor:
    """The boolean mask of the tokens an xgrammar bitmask row (int32 words, bit i of word w is
    token ``32*w + i``) allows, cut to ``vocab`` entries."""
    words = torch.as_tensor(bitmask).reshape(-1).to(torch.int64)
    bits = (words.unsqueeze(1) >> torch.arange(32, dtype=torch.int64)) & 1
    return bits.reshape(-1)[:vocab].bool()


def next_token(logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None,
               bitmask: Any = None, prior: torch.Tensor | None = None) -> int:
    """The next token id from one step's (already grammar-masked) 1-D logits.

    Args:
        logits: Scores over the vocabulary; disallowed tokens are ``-inf``.
        temperature: ``<= 0`` (or below :data:`GREEDY_BELOW`) for greedy, else sampling temperature.
        generator: The seeded CPU generator of the call.
        bitmask: The step's xgrammar bitmask (``[1, words]``), used only when no logit is finite.
        prior: Scores that rank the allowed tokens when no logit is finite (the engine's wrap-up
            bias, which closes the JSON); without it the first allowed token is taken.

    Raises:
        DegenerateLogits: no logit is finite and the bitmask (if any) allows no token.
    """
    scores = logits.detach().reshape(-1).to(device="cpu", dtype=torch.float32)
    top = scores == float("inf")
    if bool(top.any()):
        return int(torch.nonzero(top)[0, 0])
    finite = torch.isfinite(scores)
    if not bool(finite.any()):
        return _fallback(scores, bitmask, prior)
    if temperature < GREEDY_BELOW:
        return int(torch.argmax(torch.where(finite, scores, float("-inf"))))
    shifted = torch.where(finite, scores - scores[finite].max(), float("-inf"))
    probs = torch.softmax(shifted / temperature, dim=-1)
    total = float(probs.sum())
    if not torch.isfinite(probs).all() or total <= 0.0:
        return int(torch.argmax(shifted))
    return int(torch.multinomial(probs, 1, generator=generator))


def _fallback(scores: torch.Tensor, bitmask: Any, prior: torch.Tensor | None) -> int:
    if bitmask is None:
        raise DegenerateLogits("the embedded model returned no finite logit (all NaN or -inf); "
                               "retry, or use another model for this role")
    allowed = allowed_tokens(bitmask, scores.shape[0])
    if not bool(allowed.any()):
        raise DegenerateLogits("the JSON-schema grammar allows no next token; simplify the schema")
    if prior is None:
        return int(torch.nonzero(allowed)[0, 0])
    ranked = torch.where(allowed, prior.reshape(-1)[: scores.shape[0]].to(torch.float32), float("-inf"))
    return int(torch.argmax(ranked))


class Stepper:
    """One decoding call's forward passes: the KV cache, and a clean recomputation on bad logits.

    Each call feeds the new tokens and returns the last position's logits (float32, CPU). When they
    hold a NaN or inf (a broken hidden state: the cache, an attention mask, a kernel), the whole
    sequence is recomputed once without the cache; if that is non-finite too, ``on_bad_logits`` runs
    (the engine checks its weights there, and raises when they are damaged) and the logits are
    returned with NaN as ``-inf``, so :func:`next_token` chooses among the finite scores or the
    grammar's allowed tokens.
    """

    def __init__(self, model: Any, device: str, on_bad_logits: Callable[[], None] | None = None) -> None:
        params = inspect.signature(model.forward).parameters
        self.cache_kw = "cache" if "cache" in params else "past_key_values"  # renamed in transformers 5
        self.model, self.device, self.on_bad_logits = model, device, on_bad_logits
        self.history: list[int] = []
        self.recomputed = 0
        self.cache = self._new_cache()

    def _new_cache(self) -> Any:
        from transformers import DynamicCache  # noqa: PLC0415

        return DynamicCache(config=self.model.config)

    def _forward(self, ids: list[int]) -> torch.Tensor:
        tensor = torch.tensor([ids], device=self.device)
        out = self.model(input_ids=tensor, use_cache=True, logits_to_keep=1, **{self.cache_kw: self.cache})
        return out.logits[0, -1].detach().to(device="cpu", dtype=torch.float32).clone()

    def __call__(self, ids: list[int]) -> torch.Tensor:
        """Feed ``ids`` after everything fed so far; the next token's logits."""
        self.history.extend(ids)
        logits = self._forward(ids)
        if bool(torch.isfinite(logits).all()):
            return logits
        self.recomputed += 1
        self.cache = self._new_cache()
        logits = self._forward(self.history)
        if not bool(torch.isfinite(logits).all()):
            if self.on_bad_logits is not None:
                self.on_bad_logits()
            logits = torch.where(torch.isnan(logits), float("-inf"), logits)
        return logits
