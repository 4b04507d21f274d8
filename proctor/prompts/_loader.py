"""Prompt templates: jinja2 files shipped as package data, rendered with ``StrictUndefined``.

Templates live in ``proctor/prompts/<area>/<name>.j2`` and start with a ``{# vars: a, b #}``
comment declaring their variables; a test checks every template against its declaration. A
missing variable is an error, never an empty string.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jinja2
import jinja2.meta

_VARS = re.compile(r"\{#\s*vars:\s*(.*?)#\}", re.S)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared template environment."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("proctor", "prompts"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **variables: object) -> str:
    """Render template ``name`` (e.g. ``"agents/ideation.j2"``).

    Raises:
        jinja2.UndefinedError: when a variable the template uses is not given.
        jinja2.TemplateNotFound: when there is no such template.
    """
    return environment().get_template(name).render(**variables)


def template_names() -> list[str]:
    """Every shipped template."""
    return sorted(n for n in environment().list_templates() if n.endswith(".j2"))


def declared_vars(name: str) -> set[str]:
    """Variables a template declares in its ``{# vars: ... #}`` comment."""
    source = environment().loader.get_source(environment(), name)[0]  # type: ignore[union-attr]
    match = _VARS.search(source)
    if not match:
        return set()
    return {v.strip() for v in match.group(1).replace("\n", " ").split(",") if v.strip()}


def used_vars(name: str) -> set[str]:
    """Variables a template actually reads."""
    env = environment()
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    return set(jinja2.meta.find_undeclared_variables(env.parse(source)))
