"""Ideas that are not ideas: the research direction restated, or a seed idea copied.

A weak model asked for an idea on "small-scale training dynamics of neural networks" answers with that
phrase as its title, or with the first example it was shown. :func:`not_an_idea` says why such an idea
is refused (ideation then asks again), by text similarity: the larger of the character-sequence ratio
and the word-set overlap of the normalised texts (lower case, words only).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

SIMILAR = 0.8
"""Texts this similar (0 to 1) count as the same."""

_FILLER = frozenset({"a", "an", "the", "of", "in", "on", "for", "and", "to", "with", "by", "at", "from", "study",
                     "effect", "effects", "impact", "analysis", "investigating", "exploring", "towards", "how",
                     "does", "do", "what", "is", "are"})


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1 (1: the same words in the same order)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    ratio = difflib.SequenceMatcher(None, " ".join(wa), " ".join(wb), autojunk=False).ratio()
    overlap = len(set(wa) & set(wb)) / len(set(wa) | set(wb))
    return max(ratio, overlap)


def _adds_nothing(title: str, direction: str) -> bool:
    """Whether every meaningful word of the title is already in the direction."""
    words = {w.rstrip("s") for w in _words(title) if w not in _FILLER}
    return bool(words) and words <= {w.rstrip("s") for w in _words(direction)}


def not_an_idea(idea: dict[str, Any], direction: str, seeds: list[dict[str, Any]]) -> str | None:
    """Why ``idea`` is refused (it restates ``direction`` or copies a seed idea), or ``None``."""
    title, experiment = str(idea.get("Title", "")), str(idea.get("Experiment", ""))
    for field, text in (("title", title), ("experiment", experiment)):
        score = similarity(text, direction)
        if score >= SIMILAR:
            return f"its {field} restates the research direction (similarity {score:.2f}); propose one concrete test"
    if _adds_nothing(title, direction):
        return "its title only repeats words of the research direction; name the one thing the idea changes"
    for seed in seeds:
        for field in ("Title", "Experiment"):
            score = similarity(str(idea.get(field, "")), str(seed.get(field, "")))
            if score >= SIMILAR:
                return (f"its {field.lower()} copies the example idea {str(seed.get('Name', ''))[:40]!r} "
                        f"(similarity {score:.2f}); propose a different idea")
    return None
