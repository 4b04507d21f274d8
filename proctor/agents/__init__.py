"""The research workflow: a LangGraph graph of stages, checkpointed in each run's directory.

``_graph`` and ``_idea_graph`` build the graph and ``_state`` holds its state; one module per stage:
``_ideation``, ``_novelty``, ``_experiments`` (the run loop; ``_change`` chooses the form a change
takes, ``_proposers`` asks the model for it, ``_code_edits`` applies code edits), ``_writeup`` and
``_review_stage``; ``_harness`` runs the harness's own steps from a pristine copy. The template format is the ``template`` sub-package; ``_runner`` starts and resumes
runs on the checkpointer ``_checkpointers`` opens.
"""

from proctor.agents._change import Change, experiment_mode
from proctor.agents._checkpointers import (
    checkpointer_url,
    open_checkpointer,
    open_checkpointer_for,
    thread_id_for,
)
from proctor.agents._context import RunContext
from proctor.agents._gating import RunTerminated
from proctor.agents._graph import ResearchState, build_graph
from proctor.agents._idea_graph import build_idea_graph
from proctor.agents._runner import execute, resume_run, settings_for_resume, start_run
from proctor.agents._state import Idea
from proctor.agents.template import (
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
    "Change",
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
    "build_idea_graph",
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
