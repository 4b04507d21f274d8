"""What the Inspect adapter adds beyond Inspect's self_check: config, users, Proctor's limits and
records, and the errors of a sandbox that is gone."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai.util import (  # noqa: E402
    OutputLimitExceededError,
    SandboxUnavailableError,
    SandboxUserUnsupportedError,
    override_sandbox_output_limit,
)

from proctor.control import GateDecisionEvent  # noqa: E402
from proctor.inspect_ext import ProctorBwrapSandbox, ProctorSandboxConfig, sandbox_settings  # noqa: E402
from proctor.log import Event, add_listener  # noqa: E402
from proctor.sandboxes import SandboxExecEvent  # noqa: E402

pytestmark = pytest.mark.anyio


def test_config_forms_reach_the_sandbox_settings(tmp_path: Path) -> None:
    toml = tmp_path / "proctor.toml"
    toml.write_text("[sandbox]\nmemory_mb = 1024\ntimeout_s = 90\n")
    assert sandbox_settings(str(toml), "bubblewrap").memory_mb == 1024
    config = ProctorBwrapSandbox.config_deserialize(
        {"config": str(toml), "overrides": ["sandbox.cpus=1"], "sandbox": {"timeout_s": 30}})
    assert isinstance(config, ProctorSandboxConfig)
    settings = sandbox_settings(config, "bubblewrap")
    assert (settings.memory_mb, settings.cpus, settings.timeout_s, settings.provider) == (1024, 1.0, 30.0, "bubblewrap")
    assert sandbox_settings(None, "docker").provider == "docker"
    with pytest.raises(ValueError):
        ProctorSandboxConfig.model_validate({"nonsense": 1})


@pytest.mark.bwrap
async def test_limits_users_records_and_a_closed_sandbox(tmp_path: Path) -> None:
    config = ProctorSandboxConfig(sandbox={"timeout_s": 20, "memory_mb": 512})
    await ProctorBwrapSandbox.task_init("t", config)
    envs = await ProctorBwrapSandbox.sample_init("t", config, {})
    env = envs["default"]
    assert isinstance(env, ProctorBwrapSandbox)
    seen: list[Event] = []
    remove = add_listener(seen.append)
    try:
        uid = str(env.sandbox.uid)
        assert (await env.exec(["id", "-u"], user=uid)).stdout.strip() == uid
        with pytest.raises(SandboxUserUnsupportedError):
            await env.exec(["id"], user="root")
        out = await env.exec(["sh", "-c", "echo ${API_TOKEN:-unset} $PWD; exit 3"], env={"API_TOKEN": "s3cret"})
        assert (out.returncode, out.success, out.stdout) == (3, False, "unset /work\n")  # secret-like names dropped
        with override_sandbox_output_limit(1000, "exec"), pytest.raises(OutputLimitExceededError) as big:
            await env.exec(["sh", "-c", "yes | head -c 5000"])
        assert big.value.truncated_output is not None and big.value.truncated_output.startswith("y\ny\n")
        with pytest.raises(PermissionError) as outside:
            await env.write_file("/tmp/x", "lost after the command")
        assert outside.value.errno == errno.EACCES and "/work" in str(outside.value)
        with pytest.raises(PermissionError):
            await env.write_file("/etc/passwd", "no")
        assert "root:" in await env.read_file("/etc/passwd")  # reading the read-only root is fine
        await env.write_file("../work/sub/../f.txt", "normalised")
        assert await env.read_file("/work/f.txt") == "normalised"
        await env.write_file("bin", b"\xff\xfe")
        with pytest.raises(UnicodeDecodeError):
            await env.read_file("bin")
    finally:
        remove()
        await ProctorBwrapSandbox.sample_cleanup("t", config, envs, False)
    execs = [e for e in seen if isinstance(e, SandboxExecEvent)]
    assert execs and all(e.approver == "harness" and e.provider == "bubblewrap" for e in execs)
    gates = [e for e in seen if isinstance(e, GateDecisionEvent)]
    assert len(gates) == len(execs) and all(g.origin == "harness" for g in gates)
    assert not env.sandbox.persistent.exists()  # the sample's work directory is gone
    with pytest.raises(SandboxUnavailableError):
        await env.exec(["true"])
