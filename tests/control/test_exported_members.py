"""The public surface of ``proctor.control`` is curated, sorted and complete."""

import proctor.control


def test_all_is_sorted_and_exported() -> None:
    names = proctor.control.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(proctor.control, name), name


def test_every_public_name_is_in_all() -> None:
    public = {n for n in vars(proctor.control) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(proctor.control, n)).__name__ == "module"}
    assert public - modules == set(proctor.control.__all__)
