"""Conformance checks every sandbox provider must pass (library code; tests and the CLI run it).

Each check gets a fresh sandbox created with small limits (:func:`conformance_settings`) and
returns pass/fail with a detail line. Checks marked ``isolation`` are reported as skipped for
providers that are not isolated (``host``). All commands are harness actions, approved with
:func:`proctor.control.approve_harness`, so they travel the same approval path as agent code.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from proctor.control import Action, FileEdit, approve_harness
from proctor.sandboxes._checks_files import FILE_CHECKS
from proctor.sandboxes._checks_kernel import KERNEL_CHECKS
from proctor.sandboxes._probes import (
    NODE,
    CheckResult,
    ConformanceCheck,
    gone,
    processes_with,
    py,
    remove_leaked,
    shell,
)
from proctor.sandboxes._probes import brief as _brief
from proctor.sandboxes._provider import SandboxProvider
from proctor.settings import SandboxSettings

__all__ = ["CHECKS", "CHECKS_BY_NAME", "CheckResult", "ConformanceCheck", "conformance_settings", "processes_with", "py",
           "run_check", "run_conformance", "shell"]


def conformance_settings(settings: SandboxSettings) -> SandboxSettings:
    """``settings`` with the small limits the checks are written against."""
    return settings.model_copy(update={
        "memory_mb": 256, "pids": 128, "cpus": 1.0, "timeout_s": 30.0, "output_limit_bytes": 10_000,
        "disk_quota_mb": 64, "max_files": 500, "tmpfs_mb": 64, "gpus": 0,
    })


_gone = gone
_remove_leaked = remove_leaked


async def check_roundtrip(sb: SandboxProvider) -> tuple[bool | None, str]:
    """Exit codes, stdin, and files both ways (approved write, harness copy-in, read back)."""
    code = await sb.exec(py("import sys; sys.exit(7)"))
    if code.exit_code != 7:
        return False, f"exit code 7 came back as {code.exit_code}"
    edit = FileEdit(path="data/in.txt", diff="", new_content="hello sandbox")
    await sb.write_file(approve_harness(Action(node=NODE, payload=edit, origin="harness")))
    run = await sb.exec(py(
        "import sys; t = open('data/in.txt').read(); open('out.txt', 'w').write(t[::-1] + sys.stdin.read())",
        stdin="|stdin",
    ))
    if run.exit_code != 0:
        return False, "file round-trip command failed: " + _brief(run)
    back = (await sb.read_file("out.txt")).decode()
    if back != "xobdnas olleh|stdin":
        return False, f"read back {back!r}"
    return True, "exit code 7, stdin and files round-trip"


async def check_network(sb: SandboxProvider) -> tuple[bool | None, str]:
    """A TCP listener on the host's 127.0.0.1 is unreachable from inside."""
    hits: list[bool] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(True)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        r = await sb.exec(py(
            "import socket, sys\n"
            "try:\n socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3); print('CONNECTED')\n"
            "except OSError as e:\n print('blocked', e)\n",
            str(port), timeout_s=20,
        ))
    finally:
        server.close()
        await server.wait_closed()
    if hits or "CONNECTED" in r.stdout:
        return False, f"reached the host listener on 127.0.0.1:{port}"
    return True, f"127.0.0.1:{port} unreachable ({r.stdout.strip()[:80]})"


async def check_writes_outside(sb: SandboxProvider) -> tuple[bool | None, str]:
    """System paths are read-only, nothing reaches the host outside the work directory, no root.

    Writes to the sandbox's private ``/tmp`` may succeed; they must not appear on the host.
    """
    probe = f"proctor_probe_{secrets.token_hex(3)}"
    system = [f"/etc/{probe}", f"/usr/{probe}", f"/{probe}", f"{sb.inner_workdir}/../{probe}"]
    host_only = [str(sb.workdir.parent / probe), str(sb.persistent.parent / probe), str(Path.home() / probe),
                 f"/tmp/{probe}"]
    r = await sb.exec(py(
        "import os, sys\nok = []\nfor p in sys.argv[1:]:\n"
        " try:\n  open(p, 'w').write('x'); ok.append(p)\n except OSError:\n  pass\n"
        "print('UID', os.getuid()); print('WROTE', *ok)\n",
        *system, *host_only,
    ))
    leaked = await asyncio.to_thread(_remove_leaked, system + host_only)
    wrote = [p for p in r.stdout.split("WROTE", 1)[-1].split() if p in system]
    if "UID" not in r.stdout:
        return False, "probe did not run: " + _brief(r)
    if "UID 0" in r.stdout:
        return False, "sandboxed code runs as root"
    if leaked:
        return False, f"writes reached the host outside the work directory: {leaked}"
    if wrote:
        return False, f"system paths are writable inside the sandbox: {wrote}"
    return True, f"{len(system)} system paths read-only, nothing leaked to the host; {r.stdout.split(chr(10))[0]}"


async def check_memory_bomb(sb: SandboxProvider) -> tuple[bool | None, str]:
    """Allocating far past the memory limit is stopped (OOM kill, or a refused allocation)."""
    r = await sb.exec(py(
        "chunks = []\nfor i in range(64):\n chunks.append(bytearray(b'\\x01') * (32 << 20))\nprint('SURVIVED')",
        timeout_s=60,
    ))
    if "SURVIVED" in r.stdout or r.exit_code == 0:
        return False, "2 GiB allocated under a 256 MiB limit: " + _brief(r)
    if r.oom_killed:
        return True, f"OOM-killed (exit {r.exit_code}, peak {r.peak_memory_mb or 0:.0f} MiB)"
    if "MemoryError" in r.stderr:
        return True, "allocation refused with MemoryError (rlimit, no memory cgroup)"
    return False, "stopped, but not by the memory limit: " + _brief(r)


async def check_fork_bomb(sb: SandboxProvider) -> tuple[bool | None, str]:
    """A fork bomb is held by the pids limit, ended by the timeout, and leaves nothing behind."""
    marker = f"forkbomb_{secrets.token_hex(4)}"
    r = await sb.exec(py(
        "import os, time\nwhile True:\n try:\n  os.fork()\n except OSError:\n  time.sleep(0.05)\n",
        marker, timeout_s=5,
    ))
    left = await _gone(marker)
    if left:
        return False, f"{len(left)} fork-bomb processes survived: {left[:5]}"
    after = await sb.exec(shell(["echo", "alive"], timeout_s=20))
    if after.stdout.strip() != "alive":
        return False, "sandbox unusable after the fork bomb: " + _brief(after)
    return True, f"contained ({_brief(r)[:60]}), no process left, sandbox still usable"


async def check_timeout(sb: SandboxProvider) -> tuple[bool | None, str]:
    """An infinite loop hits the timeout, is flagged, and no process of it remains."""
    marker = f"spin_{secrets.token_hex(4)}"
    r = await sb.exec(py("while True: pass", marker, timeout_s=2))
    left = await _gone(marker)
    if not r.timed_out:
        return False, "not flagged as timed out: " + _brief(r)
    if r.wall_s > 12:
        return False, f"took {r.wall_s:.1f}s to stop a 2 s timeout"
    if left:
        return False, f"processes left behind: {left}"
    return True, f"killed after {r.wall_s:.2f}s (timeout 2 s), nothing left"


async def check_huge_output(sb: SandboxProvider) -> tuple[bool | None, str]:
    """5 MB of stdout is cut to the output limit, with the full size reported."""
    r = await sb.exec(py("import sys; sys.stdout.write('x' * 5_000_000); sys.stderr.write('e' * 100)"))
    limit = sb.settings.output_limit_bytes
    if r.exit_code != 0:
        return False, "writer failed: " + _brief(r)
    if r.stdout_bytes != 5_000_000 or not r.truncated or r.stdout.count("x") > limit:
        return False, f"kept {r.stdout.count('x')} of {r.stdout_bytes} bytes (limit {limit})"
    if r.stderr != "e" * 100:
        return False, "stderr damaged"
    return True, f"kept {limit} of {r.stdout_bytes} bytes in {r.wall_s:.2f}s"


async def check_env_scrubbed(sb: SandboxProvider) -> tuple[bool | None, str]:
    """Host secrets never reach the sandbox, even when an action asks for them by name."""
    canary = "sk-canary-" + secrets.token_hex(8)
    names = ["OPENAI_API_KEY", "PROCTOR_CANARY_TOKEN", "AWS_SECRET_ACCESS_KEY"]
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update({n: canary for n in names})
    try:
        r = await sb.exec(shell(["env"], env={"ANTHROPIC_API_KEY": canary, "HARMLESS": "1"}))
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v
    if canary in r.stdout or any(n in r.stdout for n in names):
        return False, "a secret reached the sandbox environment"
    if "HARMLESS=1" not in r.stdout:
        return False, "approved harmless variable missing: " + _brief(r)
    return True, f"{len(r.stdout.splitlines())} variables, none secret"


CHECKS: list[ConformanceCheck] = [
    ConformanceCheck("roundtrip", check_roundtrip, isolation=False),
    ConformanceCheck("network_blocked", check_network),
    ConformanceCheck("writes_outside_fail", check_writes_outside),
    ConformanceCheck("memory_bomb", check_memory_bomb),
    ConformanceCheck("fork_bomb", check_fork_bomb),
    ConformanceCheck("timeout_kills", check_timeout, isolation=False),
    ConformanceCheck("huge_output", check_huge_output, isolation=False),
    ConformanceCheck("env_scrubbed", check_env_scrubbed, isolation=False),
    *FILE_CHECKS,
    *KERNEL_CHECKS,
]
"""Every check, in the order the CLI prints them."""
CHECKS_BY_NAME = {c.name: c for c in CHECKS}


def _harness_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="proctor-harness-"))
    (path / "plot.py").write_text("print('harness plot')\n")
    (path / "sub").mkdir()
    (path / "sub" / "data.txt").write_text("pristine\n")
    for p in (path, path / "sub"):
        p.chmod(0o755)
    return path


async def run_check(
    provider: type[SandboxProvider], check: ConformanceCheck, settings: SandboxSettings
) -> CheckResult:
    """Run one check in a fresh sandbox of ``provider``; errors count as failures."""
    if check.isolation and not provider.isolated:
        return CheckResult(check.name, provider.name, None, f"{provider.name} provider is not isolated")
    if check.providers is not None and provider.name not in check.providers:
        return CheckResult(check.name, provider.name, None, check.why_not or f"does not apply to {provider.name}")
    harness = await asyncio.to_thread(_harness_dir) if check.harness else None
    try:
        try:
            sb = await provider.create(conformance_settings(settings), harness_dir=harness)
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            return CheckResult(check.name, provider.name, False, f"could not create sandbox: {exc}")
        try:
            passed, detail = await check.run(sb)
        except Exception as exc:  # noqa: BLE001
            passed, detail = False, f"{type(exc).__name__}: {exc}"
        finally:
            await sb.cleanup()
    finally:
        if harness is not None:
            await asyncio.to_thread(shutil.rmtree, harness, True)
    return CheckResult(check.name, provider.name, passed, detail)


async def run_conformance(
    provider: type[SandboxProvider], settings: SandboxSettings, names: list[str] | None = None
) -> list[CheckResult]:
    """Run every check (or those in ``names``) against ``provider``, one after another."""
    return [await run_check(provider, c, settings) for c in CHECKS if names is None or c.name in names]
