"""The bubblewrap seccomp filter: compiled for this architecture, and what it refuses inside."""

from __future__ import annotations

import platform
import struct

import pytest

from proctor.sandboxes import SandboxSettings, provider_class
from proctor.sandboxes._conformance import py
from proctor.sandboxes._seccomp import filter_program

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
KILL_PROCESS, ALLOW = 0x80000000, 0x7FFF0000


def _insns() -> list[tuple[int, int, int, int]]:
    prog = filter_program()
    return [struct.unpack("HBBI", prog[i:i + 8]) for i in range(0, len(prog), 8)]


@pytest.mark.skipif(platform.machine() not in AUDIT_ARCH, reason="filter tested on x86_64 and aarch64")
def test_program_checks_the_architecture_first_and_kills_a_foreign_one() -> None:
    insns = _insns()
    assert insns[0] == (0x20, 0, 0, 4)  # ld [4]: seccomp_data.arch
    code, jt, jf, k = insns[1]
    assert code == 0x15 and k == AUDIT_ARCH[platform.machine()]  # jeq native arch
    assert insns[1 + 1 + jf] == (0x06, 0, 0, KILL_PROCESS)  # mismatch: kill the process
    returns = {k for code, _, _, k in insns if code == 0x06}
    assert ALLOW in returns and 0x00050001 in returns and 0x00050026 in returns  # allow, EPERM, ENOSYS
    if platform.machine() == "x86_64":  # x32 syscalls (nr | 0x40000000) take the foreign-arch path
        assert any(code == 0x35 and k == 0x40000000 for code, _, _, k in insns)


@pytest.mark.anyio
@pytest.mark.bwrap
async def test_personality_clone3_and_keyrings_inside(bwrap_settings: SandboxSettings) -> None:
    sb = await provider_class("bubblewrap").create(bwrap_settings)
    try:
        r = await sb.exec(py(
            "import ctypes, os, platform\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "def call(fn, *a):\n r = fn(*a)\n return r, ctypes.get_errno() if r == -1 else 0\n"
            "m = platform.machine()\nprint('P32', *call(libc.personality, 8))\nprint('P0', *call(libc.personality, 0))\n"
            "print('NORAND', *call(libc.personality, 0x0040000))\nprint('EXEC', *call(libc.personality, 0x0400000))\n"
            "nr = {'x86_64': 435, 'aarch64': 435}[m]\n"
            "print('CLONE3', *call(libc.syscall, nr, 0, 0))\n"
            "print('KEYCTL', *call(libc.syscall, {'x86_64': 250, 'aarch64': 219}[m], 0, 0))\n"
            "print('BPF', *call(libc.syscall, {'x86_64': 321, 'aarch64': 280}[m], 0, 0, 0))\n"
            "print('FORK', os.fork() and 'ok' or os._exit(0))\n",
        ))
        got = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln.split()}
        assert got["P0"][0] != "-1" and got["P32"][0] != "-1", r.stdout
        assert got["NORAND"] == ["-1", "1"] and got["EXEC"] == ["-1", "1"]
        assert got["CLONE3"] == ["-1", "38"]  # ENOSYS: libc falls back to clone, whose flags the filter sees
        assert got["KEYCTL"] == ["-1", "1"] and got["BPF"] == ["-1", "1"]
        assert got["FORK"] == ["ok"]
    finally:
        await sb.cleanup()
