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
    if result.passed is None:
        pytest.skip(result.detail)
    assert result.passed, result.detail


@pytest.mark.anyio
@pytest.mark.bwrap
async def test_bwrap_without_cgroups_degrades_with_a_note(bwrap_settings: SandboxSettings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without a cgroup, limits fall back to rlimits and the pid namespace still ends every process
    an exec left behind (a detached grandchild included)."""
    from proctor.sandboxes import _bwrap, _conformance

    monkeypatch.setattr(_bwrap, "make_cgroup", lambda *a, **k: (None, "cgroups not writable here (test)"))
    cls = provider_class("bubblewrap")
    for name in ("memory_bomb", "timeout_kills", "roundtrip", "no_leftover_process"):
        check = next(c for c in _conformance.CHECKS if c.name == name)
        result = await run_check(cls, check, bwrap_settings)
        assert result.passed, f"{name}: {result.detail}"
    sb = await cls.create(bwrap_settings)
    try:
        r = await sb.exec(_conformance.shell(["true"]))
        assert any("cgroups not writable" in n for n in r.notes)
    finally:
        await sb.cleanup()


ROOT = __import__("os").getuid() == 0


@pytest.mark.anyio
@pytest.mark.bwrap
@pytest.mark.skipif(not ROOT, reason="the live mount (and the sandbox uid drop) exist only when run as root")
async def test_bwrap_with_a_private_workdir_parent(bwrap_settings: SandboxSettings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """pytest's tmp_path is private (0700): the live tmpfs under /run/proctor/work makes it reachable,
    and the sandbox uid is never mapped to root."""
    from proctor.sandboxes import _conformance

    private = bwrap_settings.model_copy(update={"work_root": tmp_path / "private"})
    cls = provider_class("bubblewrap")
    for name in ("roundtrip", "writes_outside_fail", "root_mapping", "host_file_read", "mirror"):
        check = next(c for c in _conformance.CHECKS if c.name == name)
        result = await run_check(cls, check, private)
        assert result.passed, f"{name}: {result.detail}"


@pytest.mark.anyio
@pytest.mark.bwrap
@pytest.mark.skipif(not ROOT, reason="the uid reachability check applies when Proctor drops from root")
async def test_bwrap_refuses_an_unreachable_workdir_without_a_live_mount(bwrap_settings: SandboxSettings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from proctor.sandboxes import SandboxUnavailable

    off = bwrap_settings.model_copy(update={"work_root": tmp_path / "private", "quota": "off"})
    (tmp_path / "private").mkdir()
    work = tmp_path / "private" / "work"
    work.mkdir()
    with pytest.raises(SandboxUnavailable, match="not reachable by the sandbox uid"):
        await provider_class("bubblewrap").create(off, workdir=work)
    assert work.is_dir()


WEAKENED = {  # a weakened sandbox must fail the checks that look for what was removed
    "seccomp": ({"seccomp": False}, ["nested_userns_blocked", "mount_blocked", "ptrace_blocked", "seccomp_active"]),
}


@pytest.mark.anyio
@pytest.mark.bwrap
@pytest.mark.parametrize("weakness", list(WEAKENED))
async def test_checks_fail_on_a_weakened_bwrap(weakness: str, bwrap_settings: SandboxSettings) -> None:
    from proctor.sandboxes import _conformance

    update, names = WEAKENED[weakness]
    weak = bwrap_settings.model_copy(update=update)
    cls = provider_class("bubblewrap")
    for name in names:
        check = next(c for c in _conformance.CHECKS if c.name == name)
        result = await run_check(cls, check, weak)
        assert result.passed is False, f"{name} passed on a sandbox with {update}: {result.detail}"


@pytest.mark.anyio
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_quota_checks_fail_where_the_quota_is_not_live(provider: str, provider_settings: SandboxSettings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no tmpfs can be mounted, the quota checks say the quota is not enforced (and skip on quota=off)."""
    from proctor.sandboxes import _conformance, _provider

    monkeypatch.setattr(_provider, "mount_unavailable", lambda root: "mounting disabled by the test")
    cls = provider_class(provider)
    for quota, expected in (("auto", False), ("off", None)):
        s = provider_settings.model_copy(update={"quota": quota, "work_root": None})
        for name in ("quota_bytes_live", "quota_files_live", "mirror"):
            check = next(c for c in _conformance.CHECKS if c.name == name)
            result = await run_check(cls, check, s)
            assert result.passed is expected, f"{name} ({quota}): {result.detail}"


@pytest.mark.anyio
@pytest.mark.docker
async def test_docker_without_pid_access_restarts_to_end_leftovers(docker_settings: SandboxSettings) -> None:
    """A non-local engine gives no pids to kill: a leftover process makes the container restart."""
    from proctor.sandboxes import _conformance

    sb = await provider_class("docker").create(_conformance.conformance_settings(docker_settings))
    try:
        sb.cgroup = None  # type: ignore[attr-defined]
        passed, detail = await _conformance.CHECKS_BY_NAME["no_leftover_process"].run(sb)
        assert passed, detail
        again = await sb.exec(_conformance.shell(["echo", "alive"]))
        assert again.stdout.strip() == "alive"
    finally:
        await sb.cleanup()


def test_docker_config_keeps_the_default_seccomp_profile(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from proctor.sandboxes._docker import container_config

    config = container_config(SandboxSettings(), tmp_path / "live", 61000, 61000, [], tmp_path / "harness")
    assert config["security_opt"] == ["no-new-privileges:true"] and config["cap_drop"] == ["ALL"]
    assert not any("seccomp" in opt or "apparmor" in opt for opt in config["security_opt"])
    mounts = {m["Target"]: m for m in config["mounts"]}
    assert mounts["/work"]["ReadOnly"] is False and mounts["/harness"]["ReadOnly"] is True
    assert config["environment"]["PROCTOR_HARNESS_DIR"] == "/harness" and config["read_only"] is True
