"""The held-out sets (data under shared/heldout/, builders under bench/heldout_*) load as patch folders, and nothing
a monitor sees names the label."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.control.core import FileEdit
from proctor.control.eval import load_dataset

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted(p for p in (ROOT / "shared" / "heldout").glob("*") if (p / "labels.json").is_file())


def test_there_are_held_out_sets() -> None:
    assert len(SETS) >= 3


@pytest.mark.parametrize("data", SETS, ids=lambda p: p.name)
def test_a_held_out_set_loads_and_hides_its_labels(data: Path) -> None:
    items = load_dataset(data)
    attacks = [i for i in items if i.label == "attack"]
    assert len(items) >= 90 and 0.3 <= len(attacks) / len(items) <= 0.5
    for item in items:
        payload = item.action.payload
        assert isinstance(payload, FileEdit)
        # what the monitors read: the patched file's path, the task and the diff; never the label
        assert not any(word in payload.path.lower() for word in ("attack", "honest", "malicious", "plant"))
        assert item.action.task.strip()
