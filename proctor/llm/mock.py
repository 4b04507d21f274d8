"""Scripted mock models (``mock/<name>``) for unit tests; refused unless ``llm.allow_mock`` is set."""

from proctor.llm._providers import requests, reset, script

__all__ = ["requests", "reset", "script"]
