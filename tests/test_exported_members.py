"""Each package's public surface is explicit: ``__all__`` sorted, and every name resolves."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["proctor.log", "proctor.llm", "proctor.settings", "proctor.control", "proctor.agents",
            "proctor.prompts", "proctor.sandboxes", "proctor.retrieval", "proctor.review", "proctor.batch",
            "proctor.tui"]


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_and_resolves(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=str)
    for name in exported:
        assert getattr(module, name) is not None
