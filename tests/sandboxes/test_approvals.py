"""exec and write_file take only valid approvals; every exec is logged; env is allowlisted."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.control import Action, ApprovalError, FileEdit, SandboxRun, ShellCommand, approve_harness
from proctor.log import EventLog, use_log
from proctor.sandboxes import (
    HostSandbox,
    PathOutsideWorkdir,
    SandboxError,
    SandboxExecEvent,
    SandboxSettings,
    SandboxUnavailable,
    UntrustedFileError,
    select_provider,
)
from proctor.sandboxes._env import sandbox_env

pytestmark = pytest.mark.anyio


def harness(payload) -> object:  # type: ignore[no-untyped-def]
    return approve_harness(Action(node="test", payload=payload, origin="harness"))


@pytest.fixture
async def host(settings: SandboxSettings):  # type: ignore[no-untyped-def]
    sb = await HostSandbox.create(settings.model_copy(update={"allow_host": True}))
    yield sb
    await sb.cleanup()


async def test_exec_refuses_anything_but_an_approval(host: HostSandbox) -> None:
    action = Action(node="test", payload=ShellCommand(argv=["true"]), origin="harness")
    with pytest.raises(ApprovalError):
        await host.exec(action)  # type: ignore[arg-type]
    with pytest.raises(ApprovalError):
        await host.exec(ShellCommand(argv=["true"]))  # type: ignore[arg-type]


async def test_exec_refuses_wrong_kind_and_tampering(host: HostSandbox) -> None:
    with pytest.raises(ApprovalError):
        await host.exec(harness(FileEdit(path="x", diff="", new_content="y")))  # type: ignore[arg-type]
    approved = harness(ShellCommand(argv=["echo", "approved"]))
    object.__setattr__(approved.action, "payload", ShellCommand(argv=["echo", "tampered"]))  # type: ignore[attr-defined]
    with pytest.raises(ApprovalError):
        await host.exec(approved)  # type: ignore[arg-type]


async def test_write_file_needs_an_approved_edit_inside_the_workdir(host: HostSandbox) -> None:
    with pytest.raises(ApprovalError):
        await host.write_file(harness(ShellCommand(argv=["true"])))  # type: ignore[arg-type]
    with pytest.raises(PathOutsideWorkdir):
        await host.write_file(harness(FileEdit(path="../escape", diff="", new_content="x")))  # type: ignore[arg-type]
    with pytest.raises(SandboxError):
        await host.write_file(harness(FileEdit(path="a.py", diff="@@", new_content=None)))  # type: ignore[arg-type]
    path = await host.write_file(harness(FileEdit(path="pkg/a.py", diff="", new_content="print(1)")))  # type: ignore[arg-type]
    assert path.read_text() == "print(1)"


async def test_read_file_does_not_follow_links_out(host: HostSandbox, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    (host.workdir / "link").symlink_to(secret)
    with pytest.raises(UntrustedFileError) as err:  # a link is refused, wherever it points
        await host.read_file("link")
    assert "host secret" not in str(err.value)


async def test_every_exec_is_an_event(host: HostSandbox, tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    with use_log(log):
        result = await host.exec(harness(ShellCommand(argv=["sh", "-c", "exit 3"])))  # type: ignore[arg-type]
        await host.exec(harness(SandboxRun(command=["true"])))  # type: ignore[arg-type]
    assert result.exit_code == 3
    events = [e for e in log.read() if isinstance(e, SandboxExecEvent)]
    assert [e.exit_code for e in events] == [3, 0]
    assert events[0].provider == "host" and events[0].argv == ["sh", "-c", "exit 3"]


async def test_sandbox_run_with_extra_mounts_is_refused(host: HostSandbox) -> None:
    with pytest.raises(SandboxError):
        await host.exec(harness(SandboxRun(command=["true"], mounts=["/etc:/etc"])))  # type: ignore[arg-type]


async def test_timeout_is_capped_by_settings(host: HostSandbox) -> None:
    host.settings = host.settings.model_copy(update={"timeout_s": 1.0})
    r = await host.exec(harness(ShellCommand(argv=["sleep", "30"], timeout_s=100)))  # type: ignore[arg-type]
    assert r.timed_out and r.wall_s < 10
    assert any("capped" in n for n in r.notes)


async def test_disk_quota_is_flagged(host: HostSandbox) -> None:
    host.settings = host.settings.model_copy(update={"disk_quota_mb": 1})
    r = await host.exec(harness(ShellCommand(argv=["sh", "-c", "head -c 3000000 /dev/zero > big"])))  # type: ignore[arg-type]
    assert r.exit_code != 0  # RLIMIT_FSIZE stops the write at 1 MiB
    assert (host.workdir / "big").stat().st_size <= 2**20


def test_env_is_built_from_an_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host")
    env, notes = sandbox_env({"MY_TOKEN": "t", "LD_PRELOAD": "x.so", "SEED": "1"}, {"THREADS": "2"})
    assert env["SEED"] == "1" and env["THREADS"] == "2"
    assert "MY_TOKEN" not in env and "LD_PRELOAD" not in env and "OPENAI_API_KEY" not in env
    assert len(notes) == 2


def test_host_needs_explicit_opt_in() -> None:
    with pytest.raises(SandboxUnavailable, match="allow_host"):
        select_provider(SandboxSettings(provider="host"))
    assert select_provider(SandboxSettings(provider="host", allow_host=True)) is HostSandbox


def test_auto_never_falls_back_to_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.sandboxes import BubblewrapSandbox, DockerSandbox

    monkeypatch.setattr(DockerSandbox, "available", classmethod(lambda cls, s: "no engine"))
    monkeypatch.setattr(BubblewrapSandbox, "available", classmethod(lambda cls, s: "no bwrap"))
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        select_provider(SandboxSettings(provider="auto", allow_host=True))
    monkeypatch.setattr(BubblewrapSandbox, "available", classmethod(lambda cls, s: None))
    assert select_provider(SandboxSettings(provider="auto")) is BubblewrapSandbox
