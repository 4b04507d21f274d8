"""The template format: an AI Scientist template directory, its typed knobs and its results shape.

A template is a directory holding ``experiment.py`` (run as ``python experiment.py
--out_dir=run_i``, writing ``run_i/final_info.json``), ``plot.py``, ``prompt.json`` and
``seed_ideas.json``; ``knobs.json`` (typed knobs) is Proctor's optional addition. Nothing here runs a
template: the workflow does that through the control gate and a sandbox.
"""

from proctor.agents.template._format import (
    TEMPLATES,
    Knob,
    KnobType,
    SeedIdea,
    Template,
    TemplatePrompt,
    list_templates,
    load_template,
    run_argv,
)
from proctor.agents.template._results import (
    DatasetResult,
    FinalInfo,
    TemplateError,
    final_info_from,
    parse_final_info,
    validate_final_info,
)

__all__ = [
    "DatasetResult",
    "FinalInfo",
    "Knob",
    "KnobType",
    "SeedIdea",
    "TEMPLATES",
    "Template",
    "TemplateError",
    "TemplatePrompt",
    "final_info_from",
    "list_templates",
    "load_template",
    "parse_final_info",
    "run_argv",
    "validate_final_info",
]
