"""Offline evaluation of monitors and protocols on labelled honest and attack actions.
"""

from proctor.control.eval._corpus import write_corpus
from proctor.control.eval._data import EvalItem, corpus, handoff_dataset, load_dataset
from proctor.control.eval._harness import run_eval
from proctor.control.eval._metrics import auroc, bootstrap_ci, tpr_at_fpr
from proctor.control.eval._protocols import ProtocolResult, run_protocol, score_outcomes
from proctor.control.eval._report import write_report
from proctor.control.eval._train import featurise, item_lines, split_of, train

__all__ = [
    "EvalItem",
    "ProtocolResult",
    "auroc",
    "bootstrap_ci",
    "corpus",
    "featurise",
    "handoff_dataset",
    "item_lines",
    "load_dataset",
    "run_eval",
    "run_protocol",
    "score_outcomes",
    "split_of",
    "tpr_at_fpr",
    "train",
    "write_corpus",
    "write_report",
]
