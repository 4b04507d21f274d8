"""Every prompt template declares exactly the variables it uses and fails loudly when one is missing."""

from __future__ import annotations

import jinja2
import pytest

from proctor.prompts import declared_vars, render, template_names, used_vars


def test_templates_exist() -> None:
    assert "agents/ideation.j2" in template_names()


@pytest.mark.parametrize("name", template_names())
def test_declared_vars_cover_used_vars(name: str) -> None:
    assert declared_vars(name), f"{name} lacks a '{{# vars: ... #}}' declaration"
    assert used_vars(name) <= declared_vars(name)


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("agents/ideation.j2", direction="x")
