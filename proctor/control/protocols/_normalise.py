"""The code paraphraser: a deterministic normaliser for text handed from one agent to another.

A model that hands text to another agent can hide a signal in it that a reader does not see:
zero-width characters, Unicode tag characters, bidi controls or variation selectors spelling out
bits, look-alike letters from another script, alternating letter case, whitespace patterns,
HTML comments, or text outside the fields the receiver expects. The embedded base model cannot
paraphrase, so this is the paraphraser computed by code. It re-renders a hand-off from its parsed
fields and, in each field:

1. applies Unicode NFKC (full-width and mathematical letters, ligatures, odd spaces become plain);
2. folds Cyrillic and Greek look-alikes of Latin letters, typographic quotes and dashes to ASCII;
3. drops every invisible character: format (``Cf``: zero-width, bidi, tags), control, private-use,
   unassigned and surrogate code points, variation selectors and combining marks;
4. lower-cases words whose letter case alternates (``tRaIn``: five or more case runs of one or two
   letters; ``ResNet`` or ``PyTorch`` are kept);
5. removes HTML comments, collapses runs of spaces and tabs, strips trailing whitespace, and keeps
   at most one blank line in a row (single-line fields become one line).

What it cannot remove: a signal in the choice of words (an acrostic, a synonym code, the order of
facts). Only a capable trusted model rewriting the text (``control.paraphrase.<edge> = "trusted"``)
addresses those, and no paraphraser removes a signal in the numbers themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ґ": "r", "А": "A", "В": "B", "Е": "E",
    "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I",
    "Ј": "J", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W",
    # Greek capitals that look Latin, and omicron (other Greek letters are ML notation: kept)
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o",
    # other scripts and IPA
    "ı": "i", "ɡ": "g", "ɑ": "a", "օ": "o", "ս": "u",
    # typographic punctuation
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
    "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
    "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u00ab": '"', "\u00bb": '"',
}
_TABLE = str.maketrans(_LOOKALIKES)
_INVISIBLE = frozenset({"Cf", "Cc", "Co", "Cn", "Cs", "Mn", "Me"})
_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.S)
_WORD = re.compile(r"[^\W\d_]{5,}")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class MessageField:
    """One field of a hand-off message: its name and whether it keeps line breaks."""

    name: str
    multiline: bool = False


def _case_runs(word: str) -> list[int]:
    runs: list[int] = []
    last = None
    for ch in word:
        upper = ch.isupper()
        if upper == last:
            runs[-1] += 1
        else:
            runs.append(1)
            last = upper
    return runs


def _recase(match: re.Match[str], stats: Counter[str]) -> str:
    word = match.group(0)
    runs = _case_runs(word)
    if len(runs) >= 5 and max(runs) <= 2:
        stats["recased"] += 1
        return word.lower()
    return word


def normalise(text: str, *, multiline: bool = False, stats: Counter[str] | None = None) -> str:
    """``text`` with hidden channels removed (the steps in the module docstring).

    Args:
        text: untrusted text.
        multiline: keep line breaks (one blank line at most in a row) and leading indentation.
        stats: counts of what was removed or changed, updated in place (``invisible``,
            ``lookalike``, ``recased``, ``whitespace``, ``html_comment``).

    Returns:
        The normalised text. Normalising it again changes nothing.
    """
    stats = stats if stats is not None else Counter()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    folded = unicodedata.normalize("NFKC", text)
    mapped = folded.translate(_TABLE)
    stats["lookalike"] += sum(a != b for a, b in zip(folded, mapped, strict=True))
    kept = []
    for ch in mapped:
        if ch in "\n\t" or unicodedata.category(ch) not in _INVISIBLE:
            kept.append(ch)
        else:
            stats["invisible"] += 1
    text = unicodedata.normalize("NFKC", "".join(kept))
    text, n = _COMMENT.subn("", text)
    stats["html_comment"] += n
    text = _WORD.sub(lambda m: _recase(m, stats), text)
    if not multiline:
        out = " ".join(text.split())
        stats["whitespace"] += len(text) - len(out)
        return out
    lines: list[str] = []
    for raw in text.split("\n"):
        body = raw.lstrip(" \t")
        indent = raw[: len(raw) - len(body)].replace("\t", "    ")
        line = (indent + _SPACES.sub(" ", body)).rstrip() if body.strip() else ""
        stats["whitespace"] += len(raw) - len(line)
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _header(name: str) -> str:
    return f"[[{name}]]"


def render_fields(fields: Mapping[str, str]) -> str:
    """A hand-off message's text: each field under its ``[[Name]]`` line, in order."""
    return "\n".join(f"{_header(name)}\n{value.strip()}" for name, value in fields.items()) + "\n"


def parse_fields(text: str, fields: Sequence[MessageField], stats: Counter[str] | None = None) -> dict[str, str]:
    """The named fields of a hand-off message; everything outside them is dropped.

    A line ``[[Name]]`` (a field of ``fields``) starts that field; lines before the first one,
    under an unknown header, or under a repeated one are dropped and counted as
    ``dropped_lines``. A field that is missing comes back as ``""``.
    """
    stats = stats if stats is not None else Counter()
    names = {_header(f.name): f.name for f in fields}
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        key = line.strip()
        if key in names and names[key] not in found:
            current = found.setdefault(names[key], [])
        elif key.startswith("[[") and key.endswith("]]"):
            current = None
            stats["dropped_lines"] += 1
        elif current is not None:
            current.append(line)
        elif line.strip():
            stats["dropped_lines"] += 1
    return {f.name: "\n".join(found.get(f.name, [])).strip() for f in fields}


def normalise_fields(values: Mapping[str, str], fields: Sequence[MessageField],
                     stats: Counter[str] | None = None) -> dict[str, str]:
    """Every field normalised as :func:`normalise` does (multiline fields keep their lines)."""
    stats = stats if stats is not None else Counter()
    return {f.name: normalise(values.get(f.name, ""), multiline=f.multiline, stats=stats) for f in fields}
