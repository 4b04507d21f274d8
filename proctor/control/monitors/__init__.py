"""Monitors: score an action's suspicion in [0, 1] with reasons.

The static monitor (Python AST, shell and pattern findings), the trusted-LLM monitor, and their
cascade and ensemble compositions; :func:`build_monitor` turns a settings spec into a monitor.
"""

from proctor.control.monitors._build import MonitorConfigError, build_monitor, monitor_digest
from proctor.control.monitors._compose import cascade_monitor, ensemble_monitor
from proctor.control.monitors._critical import critical_categories
from proctor.control.monitors._findings import Finding
from proctor.control.monitors._llm import llm_monitor
from proctor.control.monitors._registry import MONITORS, MonitorFactory, monitor
from proctor.control.monitors._score_parsing import MonitorScore, ScoreParseError, parse_score
from proctor.control.monitors._static import static_findings, static_monitor

__all__ = [
    "Finding",
    "MONITORS",
    "MonitorConfigError",
    "MonitorFactory",
    "MonitorScore",
    "ScoreParseError",
    "build_monitor",
    "cascade_monitor",
    "critical_categories",
    "ensemble_monitor",
    "llm_monitor",
    "monitor",
    "monitor_digest",
    "parse_score",
    "static_findings",
    "static_monitor",
]
