"""Monitors: score an action's suspicion in [0, 1] with reasons.

The static monitor (Python AST, shell and pattern findings), the security-field detectors
(bandit, detect-secrets, bashlex, infrastructure policies, off-task evidence: :func:`collect_evidence`
runs them all on one action, hunk by hunk in each file's language), Proctor's semgrep rules run from
semgrep's own environment (:func:`semgrep_monitor`, a cascade layer: about 0.2 s a call),
the learned scorer over their evidence, the trusted-LLM monitor, and their cascade and ensemble
compositions; :func:`build_monitor` turns a settings spec into a monitor.
"""

from proctor.control.monitors._build import MonitorConfigError, build_monitor, monitor_digest
from proctor.control.monitors._changes import FileChange, file_changes, language_of, split_patch
from proctor.control.monitors._compose import cascade_monitor, cascade_score, ensemble_monitor
from proctor.control.monitors._critical import critical_categories
from proctor.control.monitors._detectors import detector_monitor
from proctor.control.monitors._evidence import LAYERS, Evidence, collect_evidence
from proctor.control.monitors._features import FEATURES
from proctor.control.monitors._features import NAMES as FEATURE_NAMES
from proctor.control.monitors._findings import Finding
from proctor.control.monitors._learned import (
    LearnedModel,
    LearnedModelError,
    collect_evidence_vector,
    learned_monitor,
    load_model,
)
from proctor.control.monitors._lexical import LexicalModel, action_lines, line_tokens
from proctor.control.monitors._llm import llm_monitor
from proctor.control.monitors._registry import MONITORS, MonitorFactory, monitor
from proctor.control.monitors._score_parsing import MonitorScore, ScoreParseError, parse_score
from proctor.control.monitors._semgrep import semgrep_monitor
from proctor.control.monitors._static import static_findings, static_monitor

__all__ = [
    "Evidence",
    "FEATURES",
    "FEATURE_NAMES",
    "FileChange",
    "Finding",
    "LAYERS",
    "LearnedModel",
    "LearnedModelError",
    "LexicalModel",
    "MONITORS",
    "MonitorConfigError",
    "MonitorFactory",
    "MonitorScore",
    "ScoreParseError",
    "action_lines",
    "build_monitor",
    "cascade_monitor",
    "cascade_score",
    "collect_evidence",
    "collect_evidence_vector",
    "critical_categories",
    "detector_monitor",
    "ensemble_monitor",
    "file_changes",
    "language_of",
    "learned_monitor",
    "line_tokens",
    "llm_monitor",
    "load_model",
    "monitor",
    "monitor_digest",
    "parse_score",
    "semgrep_monitor",
    "split_patch",
    "static_findings",
    "static_monitor",
]
