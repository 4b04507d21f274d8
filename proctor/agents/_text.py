"""Bounded text fields for model outputs, without schema length bounds.

Grammar engines compile ``minLength``/``maxLength`` into large automata (12-37 s per schema for
xgrammar on this CPU), while the embedded engine already bounds output by tokens. So the schema
says only "string", and validation normalises whitespace and trims to ``n`` characters. Blank text
is kept as ``""`` (retrying a greedy small model on the same prompt rarely fixes it); callers that
need text supply a fallback.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator


def _clip(n: int):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        return " ".join(value.split())[:n]

    return check


def clip(n: int) -> AfterValidator:
    """The validator behind :func:`clipped`, for use in ``Annotated[str, clip(n)]``."""
    return AfterValidator(_clip(n))


def clipped(n: int) -> Any:
    """A ``str`` type whose values are whitespace-normalised and cut to ``n`` characters."""
    return Annotated[str, AfterValidator(_clip(n))]
