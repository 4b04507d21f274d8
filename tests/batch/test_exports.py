"""The public surface of proctor.batch: ``__all__`` sorted, complete and importable."""

from __future__ import annotations

import proctor.batch as batch


def test_all_is_sorted_and_complete() -> None:
    assert batch.__all__ == sorted(batch.__all__)
    public = {n for n, v in vars(batch).items() if not n.startswith("_") and getattr(v, "__module__", "").startswith(
        "proctor.batch")}
    assert public <= set(batch.__all__)
    assert all(hasattr(batch, n) for n in batch.__all__)


def test_batch_settings_fields_are_described() -> None:
    fields = batch.BatchSettings.model_fields
    assert all(f.description for f in fields.values())
    assert batch.BatchSettings.model_config.get("extra") == "forbid"
