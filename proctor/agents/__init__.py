"""The research workflow: a LangGraph graph of stages, checkpointed in each run's directory.

Exports load lazily so that ``proctor.settings`` can import this package's settings section
without pulling in the graph (which itself needs the settings).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FinalInfo": "proctor.agents._templates",
    "Knob": "proctor.agents._templates",
    "Template": "proctor.agents._templates",
    "TemplateError": "proctor.agents._templates",
    "list_templates": "proctor.agents._templates",
    "load_template": "proctor.agents._templates",
    "parse_final_info": "proctor.agents._templates",
    "run_argv": "proctor.agents._templates",
    "Idea": "proctor.agents._state",
    "ResearchState": "proctor.agents._graph",
    "RunContext": "proctor.agents._context",
    "RunTerminated": "proctor.agents._gating",
    "build_graph": "proctor.agents._graph",
    "execute": "proctor.agents._runner",
    "open_checkpointer": "proctor.agents._runner",
    "resume_run": "proctor.agents._runner",
    "settings_for_resume": "proctor.agents._runner",
    "start_run": "proctor.agents._runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'proctor.agents' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
