"""A novelty rule that reads no prose: the closest passage's similarity against a calibrated threshold.

Calibration (:func:`calibrate`, run by ``python bench/retrieval.py --calibrate``) on labelled pairs
built from real papers: each paper's *idea* (its title and the first two sentences of its abstract) is
compared with the paragraphs of the paper bodies, abstracts cut out.

* known (positive): the idea's highest cosine similarity to a paragraph of its own paper;
* novel (negative): its highest similarity to any paragraph of every *other* paper of the sample (the
  closest unrelated work, which is what an idea without a published twin meets in an index).

The threshold is the one that maximises balanced accuracy on half of the papers (split by a hash of their
ids); the other half reports it. The result is shipped per embedder in :mod:`._calibration_data` with the
data, sizes, metrics and command. An embedder without a calibration (``hashing``, say) falls back to
``retrieval.novelty_threshold``, and the verdict says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from pydantic import BaseModel, Field

from proctor.retrieval._calibration_data import CALIBRATIONS
from proctor.retrieval._chunking import ChunkerConfig, chunk_text
from proctor.retrieval._embedder import Embedder
from proctor.settings import RetrievalSettings

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class Calibration(BaseModel):
    """A calibrated threshold for one embedder, and how it was computed."""

    embedder: str = Field(description="Embedder identity the similarities came from.")
    threshold: float = Field(description="Similarity at or above which an idea reads as already known.")
    method: str
    data: str
    papers: int
    positives: int
    negatives: int
    train: dict[str, float] = Field(description="Balanced accuracy, TPR, FPR on the half that chose it.")
    test: dict[str, float] = Field(description="The same on the held-out half, and ROC AUC.")
    command: str = ""
    computed: str = ""


class RuleVerdict(BaseModel):
    """The rule's verdict on one idea."""

    novel: bool
    max_similarity: float
    threshold: float
    calibrated: bool = Field(description="True when the threshold was calibrated for this embedder.")
    basis: str = Field(description="Where the threshold comes from, and how well it separated known from novel.")


class Paper(BaseModel):
    """A paper for calibration: its id, title, abstract and body (abstract removed)."""

    paper_id: str
    title: str
    abstract: str
    body: str


def calibration_for(embedder_identity: str) -> Calibration | None:
    """The shipped calibration of this embedder, if any."""
    data = CALIBRATIONS.get(embedder_identity)
    return Calibration.model_validate(data) if data else None


def novelty_rule(max_similarity: float, settings: RetrievalSettings, embedder_identity: str) -> RuleVerdict:
    """Novel when the closest passage is below the calibrated threshold (``novelty_threshold`` without one)."""
    cal = calibration_for(embedder_identity)
    if cal is not None:
        t = cal.test
        basis = (f"calibrated for {cal.embedder} on {cal.data} ({cal.positives} known / {cal.negatives} novel "
                 f"pairs): held-out balanced accuracy {t.get('balanced_accuracy', 0):.3f}, AUC {t.get('auc', 0):.3f}")
        threshold = cal.threshold
    else:
        basis = f"retrieval.novelty_threshold (no calibration shipped for embedder {embedder_identity})"
        threshold = settings.novelty_threshold
    return RuleVerdict(novel=max_similarity < threshold, max_similarity=max_similarity, threshold=threshold,
                       calibrated=cal is not None, basis=basis)


def idea_of(paper: Paper) -> str:
    """What stands for the paper's idea: its title and the first two sentences of its abstract."""
    sentences = _SENTENCE.split(" ".join(paper.abstract.split()))
    return f"{paper.title}. {' '.join(sentences[:2])}".strip()


def labelled_pairs(papers: Sequence[Paper], embedder: Embedder, chunker: ChunkerConfig,
                   max_chunks: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per paper, (own best similarity, best similarity to any other paper's paragraph)."""
    owner: list[int] = []
    texts: list[str] = []
    for i, p in enumerate(papers):
        chunks = chunk_text(p.body, chunker)
        for c in chunks[:max_chunks or None]:
            owner.append(i)
            texts.append(c.text)
    para = embedder.embed(texts)
    ideas = embedder.embed([idea_of(p) for p in papers])
    sims = ideas @ para.T
    own = np.asarray(owner)[None, :] == np.arange(len(papers))[:, None]
    pos = np.where(own, sims, -np.inf).max(axis=1)
    neg = np.where(own, -np.inf, sims).max(axis=1)
    return pos, neg


def _rates(pos: np.ndarray, neg: np.ndarray, threshold: float) -> dict[str, float]:
    tpr = float((pos >= threshold).mean()) if len(pos) else 0.0
    fpr = float((neg >= threshold).mean()) if len(neg) else 0.0
    return {"balanced_accuracy": round((tpr + 1 - fpr) / 2, 4), "tpr": round(tpr, 4), "fpr": round(fpr, 4)}


def best_threshold(pos: np.ndarray, neg: np.ndarray) -> float:
    """The threshold (midway between neighbouring scores) with the highest balanced accuracy."""
    scores = np.unique(np.concatenate([pos, neg]))
    candidates = np.concatenate([[scores[0] - 1e-6], (scores[:-1] + scores[1:]) / 2, [scores[-1] + 1e-6]])
    accs = [_rates(pos, neg, float(t))["balanced_accuracy"] for t in candidates]
    return float(candidates[int(np.argmax(accs))])


def calibrate(papers: Sequence[Paper], embedder: Embedder, chunker: ChunkerConfig, *, data: str,
              max_chunks: int = 0, command: str = "") -> Calibration:
    """Choose and evaluate the threshold on ``papers`` (see the module docstring)."""
    from sklearn.metrics import roc_auc_score

    pos, neg = labelled_pairs(papers, embedder, chunker, max_chunks)
    test = np.array([int(hashlib.sha256(p.paper_id.encode()).hexdigest(), 16) % 2 == 1 for p in papers])
    threshold = best_threshold(pos[~test], neg[~test])
    labels = np.concatenate([np.ones(int(test.sum())), np.zeros(int(test.sum()))])
    auc = float(roc_auc_score(labels, np.concatenate([pos[test], neg[test]]))) if test.any() else 0.0
    return Calibration(
        embedder=embedder.identity, threshold=round(threshold, 4),
        method="highest balanced accuracy over known pairs (an idea vs its own paper's paragraphs) and novel "
               "pairs (the same idea vs the closest paragraph of every other paper), on the papers whose id "
               "hash is even; reported on the odd half",
        data=data, papers=len(papers), positives=len(pos), negatives=len(neg),
        train=_rates(pos[~test], neg[~test], threshold),
        test={**_rates(pos[test], neg[test], threshold), "auc": round(auc, 4)},
        command=command, computed=datetime.now(UTC).date().isoformat(),
    )
