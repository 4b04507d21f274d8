"""Escaping untrusted text for TeX, BibTeX, a ``verbatim`` block and Markdown.

Everything the untrusted side produced (the model's prose, dataset and metric names from
``final_info.json``, figure names, reference fields) is text here, never markup: each function maps
it to a form that prints the same words and cannot open a macro, a group, an HTML tag, a link or a
code fence. TeX output is pure printable ASCII, so no active character or undefined Unicode glyph
reaches pdflatex either.
"""

from __future__ import annotations

import re
import unicodedata

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
# In BibTeX braces count whether escaped or not, so ``\{`` would end a field early.
_BIB_SPECIAL = {**_TEX_SPECIAL, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_TEX_UNICODE = {
    "±": r"\ensuremath{\pm}", "×": r"\ensuremath{\times}", "≈": r"\ensuremath{\approx}",
    "≤": r"\ensuremath{\leq}", "≥": r"\ensuremath{\geq}", "≠": r"\ensuremath{\neq}",
    "→": r"\ensuremath{\rightarrow}", "←": r"\ensuremath{\leftarrow}", "∼": r"\ensuremath{\sim}",
    "°": r"\ensuremath{^\circ}", "µ": r"\ensuremath{\mu}", "α": r"\ensuremath{\alpha}",
    "β": r"\ensuremath{\beta}", "γ": r"\ensuremath{\gamma}", "δ": r"\ensuremath{\delta}",
    "ε": r"\ensuremath{\epsilon}", "η": r"\ensuremath{\eta}", "θ": r"\ensuremath{\theta}",
    "λ": r"\ensuremath{\lambda}", "μ": r"\ensuremath{\mu}", "π": r"\ensuremath{\pi}",
    "σ": r"\ensuremath{\sigma}", "τ": r"\ensuremath{\tau}", "ω": r"\ensuremath{\omega}",
    "Δ": r"\ensuremath{\Delta}", "Σ": r"\ensuremath{\Sigma}", "−": "-", "–": "--", "—": "---",
    "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}", "\u00a0": " ",
}
_KEY = re.compile(r"[^A-Za-z0-9_.:-]")
_FIGURE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(?:png|jpg|jpeg|pdf)")
_MD_ANYWHERE = re.compile(r"([\\`\[\]<|])")
_MD_LINE_START = re.compile(r"^([#>~=+*-])")
_MD_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def _lines(text: str) -> str:
    """Newlines normalised; other control characters dropped (tabs become spaces)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")


def _ascii(ch: str, table: dict[str, str]) -> str:
    if ch in _TEX_UNICODE:
        return _TEX_UNICODE[ch]
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if " " <= c <= "~")
    return "".join(table.get(c, c) for c in plain) or "?"


def _escape(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch) or (ch if ch == "\n" or " " <= ch <= "~" else _ascii(ch, table))
                   for ch in _lines(text))


def tex_escape(text: str) -> str:
    """Escape text for LaTeX so model prose can never inject macros.

    TeX's special characters become the macros that print them, and the output is printable ASCII:
    common symbols become their TeX forms, accented letters lose the accent, anything else is ``?``.
    """
    return _escape(text, _TEX_SPECIAL)


def tex_line(text: str) -> str:
    """:func:`tex_escape` on one line: for a title, caption or table cell, where a blank line is an error."""
    return " ".join(tex_escape(text).split())


def bib_escape(text: str) -> str:
    """A BibTeX field value: :func:`tex_line`, with braces printed by macros so every brace balances."""
    return " ".join(_escape(text, _BIB_SPECIAL).split())


def verbatim_text(text: str) -> str:
    """Text for a LaTeX ``verbatim`` block: printable ASCII lines that cannot end the block.

    ``verbatim`` ends at the first ``\\end{verbatim}``, so every one becomes ``\\end {verbatim}``;
    other characters outside printable ASCII (an active byte, a form feed) become ``?``.
    """
    plain = "".join(ch if ch == "\n" or " " <= ch <= "~" else "?" for ch in _lines(text))
    return plain.replace("\\end{verbatim}", "\\end {verbatim}")


def cite_key(key: str) -> str:
    """A BibTeX key reduced to ``[A-Za-z0-9_.:-]``, safe inside ``\\cite{}`` and an entry header."""
    return _KEY.sub("", key) or "ref"


def is_figure_name(name: str) -> bool:
    """Whether ``name`` is a plain figure file name such as ``figure_1.png`` (safe in ``\\includegraphics``)."""
    return bool(_FIGURE.fullmatch(name))


def figure_caption(stem: str, number: int) -> str:
    """A caption from an untrusted figure file stem: ``[A-Za-z0-9 -]`` only, underscores as spaces."""
    words = re.sub(r"[^A-Za-z0-9 -]", " ", stem.replace("_", " ")).split()
    return " ".join(words)[:80].strip() or f"Figure {number}"


def md_escape(text: str, *, inline: bool = False) -> str:
    """Text for Markdown that renders as the same words and never as markup.

    Backslash-escapes what could open code, a link, an image, an HTML tag or a table cell anywhere
    in a line, and what could open a heading, quote, list or fence at a line's start; leading
    spaces are dropped so no line becomes an indented code block. Emphasis marks are left alone.

    Args:
        text: The untrusted text.
        inline: Collapse it to one line (a title, a table cell, a list item).

    Returns:
        The escaped Markdown.
    """
    text = _lines(text)
    lines = [" ".join(text.split())] if inline else text.split("\n")
    out = []
    for line in lines:
        line = _MD_ANYWHERE.sub(r"\\\1", line.strip())
        out.append(_MD_ORDERED.sub(r"\1\\\2", _MD_LINE_START.sub(r"\\\1", line)))
    return "\n".join(out)


def md_fence(code: str) -> str:
    """A backtick fence longer than any backtick run in ``code``, so ``code`` cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)
