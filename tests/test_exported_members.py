"""Each package's public surface is explicit: ``__all__`` sorted, complete, and every name resolves.

Packages are found by walking ``proctor/``, so a new package is covered without editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import proctor

PACKAGES = sorted(
    info.name for info in pkgutil.walk_packages(proctor.__path__, "proctor.")
    if info.ispkg and not info.name.startswith("proctor.templates")
    and not any(part.startswith("_") for part in info.name.split("."))
)


def test_packages_are_found() -> None:
    assert {"proctor.control", "proctor.control.monitors", "proctor.agents", "proctor.settings"} <= set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_and_resolves(package: str) -> None:
    module = importlib.import_module(package)
    exported = list(getattr(module, "__all__", []))
    assert exported == sorted(exported, key=str)
    for name in exported:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_all(package: str) -> None:
    """A public name defined in the package (not a sub-module, not imported from elsewhere) is exported."""
    module = importlib.import_module(package)
    if not hasattr(module, "__all__"):
        pytest.skip(f"{package} exports nothing")
    public = {n for n, v in vars(module).items()
              if not n.startswith("_") and not isinstance(v, types.ModuleType)
              and getattr(v, "__module__", "").startswith(package)}
    assert public <= set(module.__all__)
