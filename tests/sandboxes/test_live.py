"""The live work directory: a quota tmpfs mirrored to the persistent one, and what a crash leaves."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from proctor.sandboxes import (
    SandboxError,
    SandboxSettings,
    SandboxUnavailable,
    _live,
    _mounts,
    _provider,
    provider_class,
)
from proctor.sandboxes._conformance import shell
from proctor.sandboxes._live import LiveDir

CAN_MOUNT = _mounts.mount_unavailable(SandboxSettings().live_root) is None
needs_mount = pytest.mark.skipif(not CAN_MOUNT, reason="mounting a tmpfs needs root")


@pytest.fixture
def live_settings(settings: SandboxSettings) -> SandboxSettings:
    return settings.model_copy(update={"disk_quota_mb": 4, "max_files": 200})


@pytest.fixture
def persistent(tmp_path: Path) -> Path:
    p = tmp_path / "run" / "work"
    (p / "sub").mkdir(parents=True)
    (p / "a.txt").write_text("alpha")
    (p / "sub" / "b.txt").write_text("beta")
    (p / "link").symlink_to("/etc/passwd")
    return p


def _mounted(path: Path) -> bool:
    return any(line.split()[4] == str(path) for line in Path("/proc/self/mountinfo").read_text().splitlines())


@needs_mount
def test_open_fills_sync_mirrors_close_unmounts(live_settings: SandboxSettings, persistent: Path) -> None:
    live = LiveDir.open(live_settings, "t" + os.urandom(4).hex(), persistent, uid=0, gid=0)
    try:
        assert _mounted(live.path) and live.path.parent == live_settings.live_root
        assert (live.path / "a.txt").read_text() == "alpha" and not (live.path / "link").exists()
        vfs = os.statvfs(live.path)
        assert vfs.f_blocks * vfs.f_frsize == 4 * 2**20 and vfs.f_files == 200
        ino_b = os.stat(persistent / "sub" / "b.txt").st_ino
        (live.path / "a.txt").unlink()
        (live.path / "new").mkdir()
        (live.path / "new" / "c.sh").write_text("echo")
        (live.path / "new" / "c.sh").chmod(0o4755)
        os.mkfifo(live.path / "fifo")
        skipped = live.sync()
        assert skipped == ["fifo"]
        assert not (persistent / "a.txt").exists() and not (persistent / "link").exists()
        assert stat.S_IMODE((persistent / "new" / "c.sh").stat().st_mode) == 0o644
        assert stat.S_IMODE((persistent / "new").stat().st_mode) == 0o755
        assert os.stat(persistent / "sub" / "b.txt").st_ino == ino_b  # unchanged: hard-linked, not copied
        (live.path / "sub" / "b.txt").write_text("BETA")
        live.sync()
        assert (persistent / "sub" / "b.txt").read_text() == "BETA"
        assert not list(persistent.parent.glob(".work.proctor-sync-*"))
    finally:
        live.close()
    assert not _mounted(live.path) and not live.path.exists() and not live.record.exists()


@needs_mount
def test_a_crash_mid_sync_keeps_the_previous_copy(live_settings: SandboxSettings, persistent: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    live = LiveDir.open(live_settings, "t" + os.urandom(4).hex(), persistent, uid=0, gid=0)
    try:
        for i in range(5):
            (live.path / f"f{i}").write_text(str(i))
        (live.path / "a.txt").unlink()
        calls = {"n": 0}
        real = live.work.stream_to

        def dying(rel, target, limit):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                raise OSError(28, "disk died mid-sync")
            return real(rel, target, limit)

        monkeypatch.setattr(live.work, "stream_to", dying)
        with pytest.raises(OSError, match="mid-sync"):
            live.sync()
        assert (persistent / "a.txt").read_text() == "alpha" and not (persistent / "f0").exists()
        assert not list(persistent.parent.glob(".work.proctor-sync-*"))
        monkeypatch.setattr(live.work, "stream_to", real)
        live.sync()
        assert sorted(p.name for p in persistent.iterdir()) == ["f0", "f1", "f2", "f3", "f4", "sub"]
    finally:
        live.close(sync=False)


def test_a_half_done_fallback_swap_is_recovered(tmp_path: Path) -> None:
    persistent = tmp_path / "work"
    old = tmp_path / "work.proctor-old"
    old.mkdir()
    (old / "kept.txt").write_text("previous good copy")
    dead = tmp_path / ".work.proctor-sync-999999-1-abc"
    dead.mkdir()
    _live._recover(persistent)
    assert (persistent / "kept.txt").read_text() == "previous good copy" and not dead.exists()


@needs_mount
def test_a_workdir_over_the_quota_is_refused(live_settings: SandboxSettings, persistent: Path) -> None:
    (persistent / "big.bin").write_bytes(b"x" * 5 * 2**20)
    with pytest.raises(SandboxError, match="does not fit"):
        LiveDir.open(live_settings, "t" + os.urandom(4).hex(), persistent, uid=0, gid=0)
    assert not list((live_settings.state_dir / "live").glob("*.json"))


_HARNESS = textwrap.dedent("""
    import asyncio, json, sys, time
    from pathlib import Path
    from proctor.sandboxes import SandboxSettings, provider_class
    async def main():
        s = SandboxSettings.model_validate_json(sys.argv[1])
        sb = await provider_class("host").create(s, workdir=Path(sys.argv[2]))
        from proctor.sandboxes._cgroup import make_cgroup
        cg, _ = make_cgroup("killed", 2**28, 64, 1.0)
        print(json.dumps({"live": str(sb.workdir), "cgroup": [str(d) for d in (cg.dirs.values() if cg else [])]}),
              flush=True)
        time.sleep(600)
    asyncio.run(main())
""")


@needs_mount
def test_a_killed_harness_leaves_mounts_and_cgroups_the_next_create_removes(
        live_settings: SandboxSettings, persistent: Path) -> None:
    s = live_settings.model_copy(update={"allow_host": True})
    proc = subprocess.Popen([sys.executable, "-c", _HARNESS, s.model_dump_json(), str(persistent)],  # noqa: S603
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    live, cgroups = Path(info["live"]), [Path(d) for d in info["cgroup"]]
    assert _mounted(live) and all(d.is_dir() for d in cgroups)
    assert len(list((s.state_dir / "live").glob("*.json"))) == 1
    sb = asyncio.run(provider_class("host").create(s))  # the next create cleans up after the dead harness
    try:
        from proctor.sandboxes._cgroup import make_cgroup

        cg, _ = make_cgroup("next", 2**28, 64, 1.0)  # what bubblewrap's create does
        if cg is not None:
            cg.remove()
        assert not _mounted(live) and not live.exists()
        assert not any(d.exists() for d in cgroups), cgroups
        assert [p.stem for p in (s.state_dir / "live").glob("*.json")] == [sb.id]
    finally:
        asyncio.run(sb.cleanup())


@pytest.mark.anyio
async def test_quota_modes_without_a_mount(settings: SandboxSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_provider, "mount_unavailable", lambda root: "no mounting in this test")
    s = settings.model_copy(update={"allow_host": True, "quota": "required"})
    with pytest.raises(SandboxUnavailable, match="quota=required"):
        await provider_class("host").create(s)
    sb = await provider_class("host").create(s.model_copy(update={"quota": "auto"}))
    try:
        assert sb.live is None and sb.workdir == sb.persistent
        r = await sb.exec(shell(["true"]))
        assert any(n.startswith("quota not enforced during the run: no mounting") for n in r.notes)
    finally:
        await sb.cleanup()


@needs_mount
@pytest.mark.anyio
async def test_host_provider_live_dir_and_harness(settings: SandboxSettings, persistent: Path, tmp_path: Path) -> None:
    harness = tmp_path / "harness"
    harness.mkdir()
    (harness / "plot.py").write_text("print('plot')\n")
    s = settings.model_copy(update={"allow_host": True})
    sb = await provider_class("host").create(s, workdir=persistent, harness_dir=harness)
    try:
        assert sb.workdir != persistent and sb.work.root == sb.workdir and sb.inner_workdir == str(sb.workdir)
        r = await sb.exec(shell(["sh", "-c", 'cat "$PROCTOR_HARNESS_DIR/plot.py"; echo x > "$PROCTOR_HARNESS_DIR/n"; '
                                 'echo $PROCTOR_WORKDIR; echo made > out.txt']))
        assert "print('plot')" in r.stdout and "Read-only file system" in r.stderr
        assert str(sb.workdir) in r.stdout and (persistent / "out.txt").read_text() == "made\n"
        assert sb.harness_dir != harness and not (harness / "n").exists()
    finally:
        await sb.cleanup()
    assert sb.workdir == persistent and sb.work.read_text("out.txt") == "made\n"


@needs_mount
@pytest.mark.anyio
async def test_every_exec_failure_leaves_an_event(settings: SandboxSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.log import add_listener

    events: list = []  # type: ignore[type-arg]
    remove = add_listener(lambda e: events.append(e) if e.event == "sandbox_exec" else None)
    sb = await provider_class("host").create(settings.model_copy(update={"allow_host": True}))
    try:
        assert sb.live is not None

        def broken_sync() -> list[str]:
            raise OSError(5, "mirror target vanished")

        monkeypatch.setattr(sb.live, "sync", broken_sync)
        with pytest.raises(SandboxError, match="could not mirror"):
            await sb.exec(shell(["echo", "hi"]))
        monkeypatch.undo()

        async def crash(request: object) -> None:
            raise RuntimeError("provider crashed")

        monkeypatch.setattr(sb, "_run", crash)
        with pytest.raises(RuntimeError):
            await sb.exec(shell(["true"]))
    finally:
        remove()
        await sb.cleanup()
    assert [e.error.split(":")[0] for e in events] == ["SandboxError", "RuntimeError"]
    assert events[0].exit_code == 0 and events[1].exit_code is None and events[1].argv == ["true"]


def test_registry_reaps_only_dead_owners(tmp_path: Path) -> None:
    live = tmp_path / "state" / "live"
    mine = _mounts.register(tmp_path / "state", "mine", [tmp_path / "m1"], tmp_path)
    dead = live / "dead.json"
    dead.write_text(json.dumps({"id": "dead", "owner": "999999-1", "mounts": [str(tmp_path / "m2")]}))
    (tmp_path / "m2").mkdir()
    assert _mounts.reap_stale(tmp_path / "state") == [str(tmp_path / "m2")]
    assert mine.exists() and not dead.exists() and not (tmp_path / "m2").exists()


def test_owner_tags_tell_a_reused_pid(tmp_path: Path) -> None:
    from proctor.sandboxes._owners import alive, owner_tag, start_time

    assert alive(owner_tag())
    assert not alive(f"{os.getpid()}-{(start_time(os.getpid()) or 0) + 1}")
    child = subprocess.Popen(["true"])  # noqa: S607
    child.wait()
    time.sleep(0.05)
    assert not alive(f"{child.pid}-1")
