"""Shipped novelty-rule calibrations, by embedder identity (written by ``python bench/retrieval.py
--calibrate --write-calibration``; see :mod:`._calibration` for how they are computed)."""

from __future__ import annotations

from typing import Any

CALIBRATIONS: dict[str, dict[str, Any]] = {}
