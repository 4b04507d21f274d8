"""The claim-versus-results check: every number in the model's prose must come from a result.

Numbers are pulled from the text (decimals, percentages, scientific notation) and compared with
the results at the precision the text uses (``0.93`` matches a result of ``0.9312``; ``93.1%``
matches ``0.9312``). Allowed without support: years, and integers up to ``small_int`` (counts
such as "two layers" or "5 seeds"); knob values of the run's configuration count as support.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from pydantic import BaseModel

_NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(\s*%)?")


class UnsupportedClaim(BaseModel):
    """A number in the text that no result supports."""

    section: str
    number: str
    context: str


def _decimals(token: str) -> int:
    mantissa = token.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _supported(token: str, percent: bool, support: list[float]) -> bool:
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


def check_claims(
    sections: dict[str, str], support: Iterable[float], *, small_int: int = 10
) -> list[UnsupportedClaim]:
    """Numbers in ``sections`` (name -> text) that no value in ``support`` backs."""
    ref = [float(x) for x in support if isinstance(x, (int, float)) and math.isfinite(x)]
    flagged: list[UnsupportedClaim] = []
    for name, text in sections.items():
        for match in _NUMBER.finditer(text):
            token, percent = match.group(1), bool(match.group(2))
            value = float(token)
            if not percent and "." not in token and "e" not in token.lower():
                if value <= small_int or 1900 <= value <= 2100:
                    continue
            if _supported(token, percent, ref):
                continue
            start, end = max(0, match.start() - 40), min(len(text), match.end() + 40)
            flagged.append(UnsupportedClaim(section=name, number=match.group(0).strip(),
                                            context=" ".join(text[start:end].split())))
    return flagged
