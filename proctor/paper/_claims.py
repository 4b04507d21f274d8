"""The claim-versus-results check: every number in the model's text must come from a result.

Numbers are pulled from the text (decimals, percentages, scientific notation) and compared with
the results at the precision the text uses (``0.93`` matches a result of ``0.9312``; ``93.1%``
matches ``0.9312``). The title and figure captions are checked like the sections. Three kinds of
number pass without a result behind them, each only in its context:

- a small integer (up to ``small_int``) used as a count or a reference: followed by a word ("3
  seeds", "2 hidden layers") or preceded by one that numbers things ("Figure 2", "seed 1");
  "improved by 3", "a score of 8" and "3 times faster" are claims and are checked;
- a year (1900-2100) in a date or citation context: "in 2020", "(2019)", "et al., 2018";
- a value the agent itself set (a knob value, a constant its edit wrote): it is not a result, so it
  passes only when one of the setting's names stands near it ("lr of 0.01", "dropout 0.3"),
  saying what was set; elsewhere it is flagged like any unsupported number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

_NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(\s*%)?")
_NEXT_WORD = re.compile(r"\s*(?:-\s*)?([A-Za-z]{2,})")
_PREV_WORD = re.compile(r"([A-Za-z]+)\.?\s*[#(]?\s*$")
_NOT_COUNT = frozenset({"times", "fold", "percent", "percentage", "pp", "points", "point", "orders", "order", "x",
                        "on", "in", "at", "of", "and", "or", "to", "vs", "than", "with", "for", "the", "is", "was",
                        "were", "are", "when", "while", "but", "which", "that", "over", "across", "from", "by",
                        "after", "before", "as", "per", "higher", "lower", "better", "worse", "more", "less"})
_NUMBERING = frozenset({"figure", "fig", "table", "tab", "section", "sec", "equation", "eq", "appendix", "step",
                        "steps", "seed", "seeds", "epoch", "epochs", "layer", "layers", "round", "rounds", "run",
                        "runs", "idea", "stage", "phase", "algorithm", "alg", "line", "item", "top", "k", "n"})
_DATE_BEFORE = re.compile(r"(?:\b(?:in|since|until|by|from|of|year|during)|et al\.?,?|[(\[,;])\s*$", re.I)
_NEAR = 60


class UnsupportedClaim(BaseModel):
    """A number in the text that no result supports."""

    section: str
    number: str
    context: str
    reason: str = "no result supports it"


def _decimals(token: str) -> int:
    mantissa = token.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _supported(token: str, percent: bool, support: Iterable[float]) -> bool:
    value = float(token)
    tol = 0.5 * 10 ** -_decimals(token) + 1e-12
    for ref in support:
        candidates = [ref, ref * 100] if percent else [ref, ref * 100, ref / 100]
        if any(math.isclose(value, c, abs_tol=tol) or abs(value - c) <= tol for c in candidates):
            return True
    return False


def numbers_in(text: str) -> list[float]:
    """Every number written in ``text`` (signs and percent marks dropped)."""
    return [float(m.group(1)) for m in _NUMBER.finditer(text)]


def _is_count(text: str, start: int, end: int) -> bool:
    after = _NEXT_WORD.match(text, end)
    if after and after.group(1).lower() not in _NOT_COUNT:
        return True
    before = _PREV_WORD.search(text[max(0, start - 30):start])
    return bool(before and before.group(1).lower() in _NUMBERING)


def _is_date(text: str, start: int, end: int) -> bool:
    if _DATE_BEFORE.search(text[max(0, start - 12):start]):
        return True
    return text[end:end + 1] in (")", "]")


def _name_words(name: str) -> list[str]:
    words = [w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])", name) if len(w) >= 2]
    return [name.lower(), *words]


def _setting_near(text: str, start: int, end: int, token: str, percent: bool,
                  settings: Mapping[str, list[float]]) -> bool:
    window = text[max(0, start - _NEAR):end + _NEAR].lower()
    for name, values in settings.items():
        if _supported(token, percent, values) and any(
                re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", window) for w in _name_words(name)):
            return True
    return False


def check_claims(
    sections: dict[str, str], support: Iterable[float], *, small_int: int = 10,
    settings: Mapping[str, list[float]] | None = None,
) -> list[UnsupportedClaim]:
    """Numbers in ``sections`` (name -> text) that no value in ``support`` backs.

    Args:
        sections: The text to check, by section name (title and captions included by the caller).
        support: The results: every number the tables and statistics report.
        small_int: The largest integer that may stand as a count or a reference.
        settings: Values the agent set, by the name they set ({"lr": [0.01]}): cited beside a name
            they pass; elsewhere they are flagged as settings, not results.
    """
    ref = [float(x) for x in support if isinstance(x, (int, float)) and math.isfinite(x)]
    settings = settings or {}
    set_values = [v for values in settings.values() for v in values]
    flagged: list[UnsupportedClaim] = []
    for name, text in sections.items():
        for match in _NUMBER.finditer(text):
            token, percent = match.group(1), bool(match.group(2))
            start, end = match.start(), match.end()
            if _supported(token, percent, ref):
                continue
            if not percent and "." not in token and "e" not in token.lower():
                value = float(token)
                if value <= small_int and _is_count(text, start, end):
                    continue
                if 1900 <= value <= 2100 and _is_date(text, start, end):
                    continue
            if _setting_near(text, start, end, token, percent, settings):
                continue
            reason = ("a value the agent set, not a result" if _supported(token, percent, set_values)
                      else "no result supports it")
            lo, hi = max(0, start - 40), min(len(text), end + 40)
            flagged.append(UnsupportedClaim(section=name, number=match.group(0).strip(),
                                            context=" ".join(text[lo:hi].split()), reason=reason))
    return flagged
