"""The research workflow: a LangGraph graph of stages, checkpointed in each run's directory.

``_graph`` and ``_idea_graph`` build the graph, ``_state`` holds its state, one module per stage
(``_ideation``, ``_novelty``, ``_experiments``, ``_writeup``, ``_review_stage``), ``_templates`` the
template format, ``_runner`` starts and resumes runs.
"""

from proctor.agents._checkpointers import (
    checkpointer_url,
    open_checkpointer,
    open_checkpointer_for,
    thread_id_for,
)
from proctor.agents._context import RunContext
from proctor.agents._experiments import experiment_mode
from proctor.agents._gating import RunTerminated
from proctor.agents._graph import ResearchState, build_graph
from proctor.agents._runner import execute, resume_run, settings_for_resume, start_run
from proctor.agents._state import Idea
from proctor.agents._templates import (
    TEMPLATES,
    FinalInfo,
    Knob,
    Template,
    TemplateError,
    list_templates,
    load_template,
    parse_final_info,
    run_argv,
)

__all__ = [
    "FinalInfo",
    "Idea",
    "Knob",
    "ResearchState",
    "RunContext",
    "RunTerminated",
    "TEMPLATES",
    "Template",
    "TemplateError",
    "build_graph",
    "checkpointer_url",
    "execute",
    "experiment_mode",
    "list_templates",
    "load_template",
    "open_checkpointer",
    "open_checkpointer_for",
    "parse_final_info",
    "resume_run",
    "run_argv",
    "settings_for_resume",
    "start_run",
    "thread_id_for",
]
