"""Prompt templates (jinja2, StrictUndefined), shipped as package data."""

from proctor.prompts._loader import declared_vars, environment, render, template_names, used_vars

__all__ = [
    "declared_vars",
    "environment",
    "render",
    "template_names",
    "used_vars",
]
