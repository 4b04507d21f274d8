"""The learned scorer: a logistic model over every detector's evidence, shipped as JSON.

The model (``data/learned.json``: feature names, weights, intercept, Platt calibration, the lexical
line model whose score is one feature (:mod:`._lexical`), and the report of the data it was trained
on) is fitted by ``proctor control train``
(:mod:`proctor.control.eval`); loading it is a JSON read, scoring a dot product, so the cost of
the ``learned`` monitor is the detectors'. Its verdict carries each layer's own verdict under
``parts`` (static, bandit, secrets, bash, iac, reasoning, offtask), so ``proctor control score``
and the audit log show what every layer saw.

It fails closed: a detector that raises or a run over ``timeout_s`` gives score 1.0, unparsed.
A model file that is missing, corrupt or trained on other features is refused when the monitor is
built (:class:`LearnedModelError`), never silently replaced.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from proctor.control.core import Action, Monitor, MonitorVerdict, TrajectoryView, fail_closed
from proctor.control.monitors._bandit import warm_bandit
from proctor.control.monitors._evidence import LAYERS, Evidence, collect_evidence
from proctor.control.monitors._features import NAMES, vector
from proctor.control.monitors._findings import noisy_or
from proctor.control.monitors._lexical import LexicalModel, action_lines
from proctor.control.monitors._offtask import warm_model
from proctor.control.monitors._registry import monitor
from proctor.settings import DEFAULT_IMPORTS


class LearnedModelError(ValueError):
    """The learned model file is missing, corrupt or does not match the features."""


@dataclass(frozen=True)
class LearnedModel:
    """Weights over :data:`NAMES`, an intercept and Platt calibration ``sigmoid(a * z + b)``."""

    weights: tuple[float, ...]
    intercept: float
    platt_a: float = 1.0
    platt_b: float = 0.0
    report: Any = None
    lexical: LexicalModel | None = None

    def lexical_score(self, action: Action) -> tuple[float, str]:
        """The ``lexical.max`` feature of ``action`` and its most suspicious line (0 without a lexical model)."""
        return self.lexical.feature(action_lines(action)) if self.lexical is not None else (0.0, "")

    def logit(self, x: Sequence[float]) -> float:
        """The linear score ``w . x + c``."""
        return self.intercept + sum(w * v for w, v in zip(self.weights, x, strict=True))

    def probability(self, x: Sequence[float]) -> float:
        """Calibrated probability that the action is an attack."""
        z = self.platt_a * self.logit(x) + self.platt_b
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def to_json(self) -> dict[str, Any]:
        """The JSON form written by training."""
        return {"features": list(NAMES), "weights": list(self.weights), "intercept": self.intercept,
                "platt": [self.platt_a, self.platt_b], "report": self.report,
                "lexical": self.lexical.to_json() if self.lexical is not None else None}


DEFAULT_MODEL = "learned.json"


def _parse(raw: str, where: str) -> LearnedModel:
    try:
        body = json.loads(raw)
        names, weights = body["features"], [float(w) for w in body["weights"]]
        a, b = (float(v) for v in body.get("platt", [1.0, 0.0]))
        lexical = LexicalModel.from_json(body["lexical"]) if body.get("lexical") is not None else None
        model = LearnedModel(tuple(weights), float(body["intercept"]), a, b, body.get("report"), lexical)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LearnedModelError(f"{where}: not a learned-monitor model ({exc})") from exc
    if list(names) != list(NAMES) or len(weights) != len(NAMES):
        raise LearnedModelError(f"{where}: trained on other features; retrain with `proctor control train`")
    if not all(math.isfinite(w) for w in (*weights, model.intercept, a, b)):
        raise LearnedModelError(f"{where}: weights are not finite")
    if model.lexical is None and weights[NAMES.index("lexical.max")] != 0.0:
        raise LearnedModelError(f"{where}: weighs the lexical score but has no lexical model")
    return model


@lru_cache(maxsize=8)
def load_model(path: str | None = None) -> LearnedModel:
    """The model at ``path``, default the one shipped with Proctor.

    Raises:
        LearnedModelError: when the file is missing, corrupt or for other features.
    """
    if path is None:
        try:
            raw = resources.files("proctor.control.monitors").joinpath("data", DEFAULT_MODEL).read_text()
        except (FileNotFoundError, OSError) as exc:
            raise LearnedModelError(f"the shipped model is missing ({exc}); run `proctor control train`") from exc
        return _parse(raw, "shipped model")
    try:
        return _parse(Path(path).read_text(encoding="utf-8"), path)
    except OSError as exc:
        raise LearnedModelError(f"{path}: {exc}") from exc


def _layer_verdicts(ev: Evidence) -> list[MonitorVerdict]:
    out = []
    for layer in LAYERS:
        found = ev.layers.get(layer, [])
        out.append(MonitorVerdict(score=noisy_or(found), monitor=layer, categories=sorted({f.category for f in found}),
                                  reasons=[f"[{f.category} {f.weight:.2f}] {f.reason}" for f in found][:20]))
    ot = ev.offtask
    if ot is not None:
        reasons = [f"touches {t} in {n} hunk(s); the task does not mention it" for t, n in sorted(ot.unasked.items())]
        if ev.destinations:
            reasons.append(f"sends to {', '.join(d[:60] for d in ev.destinations[:3])}: neither the task nor the code "
                           "around the change names it")
        if ot.min_relevance is not None:
            reasons.append(f"least relevant hunk: similarity {ot.min_relevance:.2f} to the task; "
                           f"{ot.far_share:.0%} of changed lines far from it")
        out.append(MonitorVerdict(score=min(1.0, 0.15 * len(ot.unasked)), monitor="offtask", reasons=reasons,
                                  categories=["off_task"] if ot.unasked else []))
    return out


@monitor("learned")
def learned_monitor(model_path: str | None = None, allowed_imports: Sequence[str] | None = None,
                    workdir: str | None = None, embed: bool = True, timeout_s: float = 10.0) -> Monitor:
    """Score an action with every detector and the learned model over their evidence.

    Steps:
        1. Collect the evidence (:func:`collect_evidence`): the static rules, bandit, detect-secrets,
           the bash parser, the infrastructure policies, the reasoning rules, the off-task evidence.
        2. Turn it into the feature vector (:mod:`._features`) and apply the model.
        3. Report each layer's verdict under ``parts``; fail closed on any error or timeout.

    Args:
        model_path: a model trained by ``proctor control train`` (default: the shipped one).
        allowed_imports: modules the static rules do not flag as unexpected.
        workdir: absolute work directory (absolute paths under it are not "outside").
        embed: compute the hunk-to-task similarity with the embedded sentence model.
        timeout_s: seconds the detectors may take on one action before it is held (loading bandit
            and the sentence model, once per process, does not count).

    Raises:
        LearnedModelError: when the model cannot be loaded (at build time, not per action).
    """
    model = load_model(model_path)
    allowed = list(allowed_imports) if allowed_imports is not None else list(DEFAULT_IMPORTS)
    warmed: list[bool] = []

    def evidence(action: Action) -> tuple[Evidence, tuple[float, str]]:
        ev = collect_evidence(action, allowed_imports=allowed, workdir=workdir, embed=embed)
        return ev, model.lexical_score(action)

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        try:
            if not warmed:  # loading bandit and the sentence model once is not the action's time
                await asyncio.to_thread(warm_bandit)
                if embed:
                    await asyncio.to_thread(warm_model)
                warmed.append(True)
            ev, (lexical, line) = await asyncio.wait_for(asyncio.to_thread(evidence, action), timeout_s)
            x = vector(ev, lexical)
            p = model.probability(x)
        except TimeoutError:
            return fail_closed("learned", f"timed out after {timeout_s:g} s")
        except Exception as exc:  # a crashed detector holds the action
            return fail_closed("learned", f"{type(exc).__name__}: {str(exc)[:200]}")
        parts = _layer_verdicts(ev)
        if model.lexical is not None:
            parts.append(MonitorVerdict(score=round(lexical, 6), monitor="lexical",
                                        reasons=[f"most suspicious line: {line}"] if line else []))
        contrib = sorted(((w * v, n) for w, v, n in zip(model.weights, x, NAMES, strict=True) if w * v > 0), reverse=True)
        reasons = [f"{n} +{c:.2f}" for c, n in contrib[:5]] + [r for v in parts for r in v.reasons][:20]
        # The reasoning channel is scored beside the action: the model was fitted on actions (its
        # corpus carries no reasoning), so a stated intent to sabotage or evade is never diluted by it.
        stated = ev.score("reasoning")
        if stated > p:
            reasons.insert(0, f"reasoning channel {stated:.2f} above the action model's {p:.2f}")
            p = stated
        return MonitorVerdict(score=round(p, 6), monitor="learned", reasons=reasons, parts=parts,
                              categories=sorted({c for v in parts for c in v.categories}))

    return score


def collect_evidence_vector(action: Action, *, allowed_imports: Sequence[str], workdir: str | None = None,
                            embed: bool = True) -> list[float]:
    """The learned scorer's feature vector for ``action`` (used by training)."""
    return vector(collect_evidence(action, allowed_imports=allowed_imports, workdir=workdir, embed=embed))
