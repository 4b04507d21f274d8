"""Control prompt templates declare exactly what they use and render strictly."""

import jinja2
import pytest

from proctor.prompts import declared_vars, render, template_names, used_vars

CONTROL = [n for n in template_names() if n.startswith("control/")]


@pytest.mark.parametrize("name", CONTROL)
def test_declared_vars_cover_used_vars(name: str) -> None:
    assert used_vars(name) <= declared_vars(name)


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("control/paraphrase.j2", sender="a", recipient="b")
