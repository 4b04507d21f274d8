"""The public surface of proctor.retrieval is curated: sorted, complete, importable."""

from __future__ import annotations

import proctor.retrieval as retrieval


def test_all_is_sorted_and_importable() -> None:
    assert retrieval.__all__ == sorted(retrieval.__all__)
    for name in retrieval.__all__:
        assert hasattr(retrieval, name), name


def test_all_is_complete() -> None:
    public = {n for n, v in vars(retrieval).items()
              if not n.startswith("_") and getattr(v, "__module__", "").startswith("proctor.retrieval")}
    assert public <= set(retrieval.__all__)
