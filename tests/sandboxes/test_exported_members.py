"""The public surface of proctor.sandboxes is sorted and complete."""

from __future__ import annotations

import proctor.sandboxes as sandboxes


def test_all_is_sorted_and_resolves() -> None:
    assert sandboxes.__all__ == sorted(sandboxes.__all__)
    for name in sandboxes.__all__:
        assert hasattr(sandboxes, name), name


def test_every_public_class_and_function_is_exported() -> None:
    public = {n for n, v in vars(sandboxes).items() if not n.startswith("_") and callable(v)}
    assert public <= set(sandboxes.__all__)


def test_every_setting_is_described() -> None:
    for name, field in sandboxes.SandboxSettings.model_fields.items():
        assert field.description, name
