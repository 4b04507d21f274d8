"""Fitting the lexical line model (:class:`proctor.control.monitors.LexicalModel`) as multiple instances.

Labels are per change, not per line: every line of an honest change is honest, and an attacked
change holds at least one attack line among many honest ones. The fit alternates (Andrews et al.'s
mi-SVM, with a logistic model): first each attacked change's lines share one unit of positive
weight, then, for a few rounds, only its ``k`` best-scoring lines are its positives. Both classes
weigh the same in total. Features are the tokens of :func:`line_tokens` seen in at least two lines.

Used by :func:`train` with out-of-fold scores: a training change's lexical feature comes from a line
model fitted without its group, so the scorer learns how far the lexical score transfers, not how
well the line model remembers its own training lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from proctor.control.monitors import LexicalModel

Lines = list[tuple[str, list[str]]]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def fit_lexical(item_lines: Sequence[Lines], attack: np.ndarray, *, rounds: int = 3, k: int = 2,
                c: float = 0.3, min_df: int = 2) -> LexicalModel:
    """A lexical model from each item's changed lines and its label.

    Raises:
        ValueError: when there are no honest or no attack lines to learn from.
    """
    docs: list[list[str]] = []
    owner: list[int] = []
    for i, lines in enumerate(item_lines):
        for _, tokens in lines:
            docs.append(tokens)
            owner.append(i)
    own = np.array(owner, dtype=int)
    lab = np.asarray(attack, dtype=bool)[own] if len(own) else np.zeros(0, dtype=bool)
    if not lab.any() or lab.all():
        raise ValueError("the lexical model needs lines of honest and of attacked changes")
    vec = CountVectorizer(analyzer=_identity, binary=True, min_df=min_df, lowercase=False)
    x = vec.fit_transform(docs)
    per_item = np.bincount(own[lab], minlength=len(item_lines)).astype(float)
    weight = np.where(lab, 1.0 / np.maximum(per_item[own], 1.0), 1.0)
    clf = LogisticRegression(C=c, max_iter=500, solver="liblinear")
    for r in range(rounds):
        n_neg, pos = (~lab).sum(), weight[lab].sum()
        clf.fit(x, lab.astype(int), sample_weight=np.where(lab, weight * n_neg / max(pos, 1e-9), 1.0))
        if r == rounds - 1:
            break
        z = clf.decision_function(x)
        weight = np.where(lab, 0.0, 1.0)
        order = np.lexsort((-z, own))  # by item, best line first
        taken: dict[int, int] = {}
        for j in order:
            if lab[j] and taken.get(int(own[j]), 0) < k:
                taken[int(own[j])] = taken.get(int(own[j]), 0) + 1
                weight[j] = 1.0
        weight = np.where(lab, weight / np.maximum(np.bincount(own, weights=weight, minlength=len(item_lines))[own], 1.0),
                          weight)
    coef = clf.coef_[0]
    vocab = vec.get_feature_names_out()
    weights = {str(t): round(float(w), 4) for t, w in zip(vocab, coef, strict=True) if abs(w) >= 0.01}
    meta = {"lines": int(len(docs)), "attack_lines": int(lab.sum()), "items": int(len(item_lines)),
            "rounds": rounds, "k": k, "c": c, "min_df": min_df}
    return LexicalModel(weights, round(float(clf.intercept_[0]), 4), meta)


def lexical_scores(model: LexicalModel, item_lines: Sequence[Lines]) -> np.ndarray:
    """Each item's ``lexical.max`` feature under ``model`` (from its most suspicious line)."""
    return np.array([model.feature(lines)[0] for lines in item_lines])


def out_of_fold(item_lines: Sequence[Lines], attack: np.ndarray, groups: np.ndarray, fit_on: np.ndarray,
                folds: int = 4) -> np.ndarray:
    """Lexical scores of the ``fit_on`` items, each from a model fitted without its group's fold.

    Groups (sources) are dealt to folds by size, so every fold holds whole sources. Items outside
    ``fit_on`` get ``nan``.
    """
    out = np.full(len(item_lines), np.nan)
    names, sizes = np.unique(groups[fit_on], return_counts=True)
    fold_of: dict[str, int] = {}
    load = [0] * folds
    for name, size in sorted(zip(names, sizes, strict=True), key=lambda t: -t[1]):
        f = load.index(min(load))
        fold_of[str(name)] = f
        load[f] += int(size)
    fold = np.array([fold_of.get(str(g), -1) for g in groups])
    for f in range(folds):
        test = fit_on & (fold == f)
        train = fit_on & (fold != f)
        if not test.any():
            continue
        y = np.asarray(attack, dtype=bool)
        if y[train].all() or not y[train].any():
            continue
        model = fit_lexical([item_lines[i] for i in np.where(train)[0]], y[train])
        out[test] = lexical_scores(model, [item_lines[i] for i in np.where(test)[0]])
    return out
