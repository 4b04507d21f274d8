"""LaTeX: model text is escaped so it can never inject macros, in the paper and in BibTeX."""

from __future__ import annotations

from proctor.paper import Reference, bibtex, reference_key, tex_escape


def test_tex_escape_neutralises_macros() -> None:
    assert tex_escape(r"\input{/etc/passwd}") == r"\textbackslash{}input\{/etc/passwd\}"
    assert "title = {A\\_B}" in bibtex([Reference(key="k", title="A_B")])


def test_reference_key_from_first_title_word_and_year() -> None:
    assert reference_key("Attention Is All You Need", 2017) == "attention2017"
    assert reference_key("", "n.d.") == "papern.d."
