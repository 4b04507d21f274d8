"""The conformance suite, run against every provider with the same test function."""

from __future__ import annotations

import pytest

from proctor.sandboxes import CHECKS, SandboxSettings, provider_class, run_check

PROVIDERS = [
    pytest.param("bubblewrap", marks=pytest.mark.bwrap, id="bubblewrap"),
    pytest.param("docker", marks=pytest.mark.docker, id="docker"),
    pytest.param("host", id="host"),
]


@pytest.fixture
def provider_settings(request: pytest.FixtureRequest, settings: SandboxSettings) -> SandboxSettings:
    name = request.node.callspec.params["provider"]
    if name == "docker":
        return request.getfixturevalue("docker_settings")
    if name == "bubblewrap":
        return request.getfixturevalue("bwrap_settings")
    return settings.model_copy(update={"allow_host": True})


@pytest.mark.anyio
@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_conformance(provider: str, check, provider_settings: SandboxSettings) -> None:  # type: ignore[no-untyped-def]
    cls = provider_class(provider)
    if check.isolation and not cls.isolated:
        pytest.skip(f"{check.name} needs isolation; {provider} has none by design")
    result = await run_check(cls, check, provider_settings)
    assert result.passed, result.detail


@pytest.mark.anyio
@pytest.mark.bwrap
async def test_bwrap_without_cgroups_degrades_with_a_note(bwrap_settings: SandboxSettings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from proctor.sandboxes import _bwrap, _conformance

    monkeypatch.setattr(_bwrap, "make_cgroup", lambda *a, **k: (None, "cgroups not writable here (test)"))
    cls = provider_class("bubblewrap")
    for name in ("memory_bomb", "timeout_kills", "roundtrip"):
        check = next(c for c in _conformance.CHECKS if c.name == name)
        result = await run_check(cls, check, bwrap_settings)
        assert result.passed, f"{name}: {result.detail}"
    sb = await cls.create(bwrap_settings)
    try:
        r = await sb.exec(_conformance.shell(["true"]))
        assert any("cgroups not writable" in n for n in r.notes)
    finally:
        await sb.cleanup()


@pytest.mark.anyio
@pytest.mark.bwrap
@pytest.mark.skipif(__import__("os").getuid() != 0, reason="the root-mapped mode exists only when run as root")
async def test_bwrap_with_a_private_workdir_parent(bwrap_settings: SandboxSettings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """pytest's tmp_path is private (0700): bwrap maps the sandbox uid to root and still conforms."""
    from proctor.sandboxes import _conformance

    private = bwrap_settings.model_copy(update={"work_root": tmp_path / "private"})
    cls = provider_class("bubblewrap")
    for name in ("roundtrip", "writes_outside_fail", "fork_bomb", "network_blocked"):
        check = next(c for c in _conformance.CHECKS if c.name == name)
        result = await run_check(cls, check, private)
        assert result.passed, f"{name}: {result.detail}"
