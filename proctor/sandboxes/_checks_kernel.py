"""Conformance checks on the kernel surface: no host root, no nested user namespaces, no mounts, no
ptrace, read-only kernel interfaces, seccomp and no-new-privileges on, and no process left behind."""

from __future__ import annotations

import asyncio
import secrets
import time

from proctor.sandboxes._probes import ConformanceCheck, Outcome, brief, gone, host_ids, processes_with, py
from proctor.sandboxes._provider import SandboxProvider

_LIBC = (
    "import ctypes, os, platform\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "def call(fn, *a):\n"
    " r = fn(*a)\n return r, (ctypes.get_errno() if r == -1 else 0)\n"
)


async def check_root_mapping(sb: SandboxProvider) -> Outcome:
    """Sandboxed code is not uid 0 inside, holds no capabilities, and is not root as the host sees it."""
    marker = f"uidprobe_{secrets.token_hex(4)}"
    task = asyncio.ensure_future(sb.exec(py(
        "import os, time\nst = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)\n"
        "print('UID', os.getuid(), os.geteuid(), 'CAPEFF', st['CapEff'].strip(), 'CAPPRM', st['CapPrm'].strip())\n"
        "time.sleep(3)\n", marker, timeout_s=20,
    )))
    seen: dict[int, tuple[list[int], list[int]]] = {}
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not task.done():
        for pid in await asyncio.to_thread(processes_with, marker):
            ids = await asyncio.to_thread(host_ids, pid)
            if ids is not None:
                seen[pid] = ids
        await asyncio.sleep(0.2)
    r = await task
    if "UID" not in r.stdout:
        return False, "probe did not run: " + brief(r)
    fields = r.stdout.split()
    uid, euid, capeff, capprm = fields[1], fields[2], fields[4], fields[6]
    if uid == "0" or euid == "0":
        return False, "sandboxed code runs as uid 0 inside"
    if int(capeff, 16) or int(capprm, 16):
        return False, f"sandboxed code holds capabilities (CapEff {capeff}, CapPrm {capprm})"
    root = [pid for pid, (uids, gids) in seen.items() if 0 in uids or 0 in gids]
    if root:
        return False, f"host sees sandbox processes {root} as root"
    if not seen:
        return None, f"uid {uid}, no capabilities; its processes are not visible from here (remote engine?)"
    host_uid = sorted({u for uids, _ in seen.values() for u in uids})
    return True, f"uid {uid} inside, no capabilities, host uid(s) {host_uid} for {len(seen)} processes"


async def check_nested_userns(sb: SandboxProvider) -> Outcome:
    """``unshare(CLONE_NEWUSER)``, ``clone(CLONE_NEWUSER)`` and ``unshare -U`` all fail inside."""
    r = await sb.exec(py(
        _LIBC + "import shutil, subprocess\n"
        "print('UNSHARE', *call(libc.unshare, 0x10000000))\n"
        "nr = {'x86_64': 56, 'aarch64': 220}.get(platform.machine())\n"
        "if nr:\n r, e = call(libc.syscall, nr, 0x10000000 | 17, 0, 0, 0, 0)\n"
        " if r == 0:\n  os._exit(0)\n if r > 0:\n  os.waitpid(r, 0)\n print('CLONE', r, e)\n"
        "if shutil.which('unshare'):\n"
        " p = subprocess.run(['unshare', '-U', 'true'], capture_output=True)\n print('TOOL', p.returncode)\n",
    ))
    if "UNSHARE" not in r.stdout:
        return False, "probe did not run: " + brief(r)
    results = dict((ln.split()[0], ln.split()[1:]) for ln in r.stdout.splitlines() if ln.split())
    if results.get("UNSHARE", ["0"])[0] != "-1":
        return False, "unshare(CLONE_NEWUSER) succeeded inside"
    if "CLONE" in results and results["CLONE"][0] != "-1":
        return False, "clone(CLONE_NEWUSER) succeeded inside"
    if "TOOL" in results and results["TOOL"][0] == "0":
        return False, "`unshare -U true` succeeded inside"
    return True, f"refused: unshare errno {results['UNSHARE'][1]}, clone {results.get('CLONE', ['-', 'n/a'])[1]}, " \
                 f"unshare -U exit {results.get('TOOL', ['n/a'])[0]}"


async def check_mount_blocked(sb: SandboxProvider) -> Outcome:
    """``mount`` and ``umount2`` fail with EPERM before the kernel even looks at their arguments
    (a missing target or a bad pointer would give ENOENT or EFAULT without a filter)."""
    r = await sb.exec(py(
        _LIBC + "print('MOUNT', *call(libc.mount, b'none', b'/tmp', b'tmpfs', 0, None))\n"
        "print('BADPTR', *call(libc.mount, ctypes.c_void_p(1), b'/tmp', b'tmpfs', 0, None))\n"
        "print('UMOUNT', *call(libc.umount2, b'/nonexistent-proctor', 0))\n",
    ))
    got = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln.split()}
    if set(got) != {"MOUNT", "BADPTR", "UMOUNT"}:
        return False, "probe did not run: " + brief(r)
    bad = {k: v for k, v in got.items() if v != ["-1", "1"]}
    if bad:
        return False, f"not refused with EPERM: {bad}"
    return True, "mount, mount(bad pointer) and umount2(missing path) all EPERM"


async def check_ptrace_blocked(sb: SandboxProvider) -> Outcome:
    """``ptrace`` (even PTRACE_TRACEME) and ``process_vm_readv`` fail with EPERM."""
    r = await sb.exec(py(
        _LIBC + "print('TRACEME', *call(libc.ptrace, 0, 0, 0, 0))\n"
        "print('VMREAD', *call(libc.process_vm_readv, os.getpid(), None, 0, None, 0, 0))\n",
    ))
    got = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln.split()}
    if set(got) != {"TRACEME", "VMREAD"}:
        return False, "probe did not run: " + brief(r)
    bad = {k: v for k, v in got.items() if v != ["-1", "1"]}
    return (False, f"not refused with EPERM: {bad}") if bad else (True, "ptrace and process_vm_readv EPERM")


async def check_proc_sys_readonly(sb: SandboxProvider) -> Outcome:
    """Kernel interfaces (``/proc/sys/kernel``, ``vm``, ``fs``, ``/proc/sysrq-trigger``) are not writable."""
    r = await sb.exec(py(
        "import os, glob\nbad = []\n"
        "for p in ['/proc/sys/kernel/core_pattern', '/proc/sysrq-trigger', '/proc/sys/vm/drop_caches']:\n"
        " try:\n  open(p, 'w').write('x')\n  bad.append(p)\n except OSError:\n  pass\n"
        "n = 0\nfor d in ('kernel', 'vm', 'fs'):\n"
        " for root, dirs, files in os.walk('/proc/sys/' + d):\n"
        "  for f in files:\n   n += 1\n   p = os.path.join(root, f)\n"
        "   if os.access(p, os.W_OK):\n    bad.append(p)\n"
        "print('CHECKED', n)\nprint('WRITABLE', *bad[:10])\n",
    ))
    if "CHECKED" not in r.stdout:
        return False, "probe did not run: " + brief(r)
    bad = r.stdout.split("WRITABLE", 1)[1].split()
    if bad:
        return False, f"writable kernel interfaces: {bad}"
    return True, f"core_pattern, sysrq-trigger and {r.stdout.split()[1]} sysctls not writable"


async def check_seccomp_active(sb: SandboxProvider) -> Outcome:
    """A seccomp filter is loaded and no-new-privileges is set for sandboxed code."""
    r = await sb.exec(py(
        "st = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)\n"
        "print(st.get('Seccomp', '?').strip(), st.get('NoNewPrivs', '?').strip())\n",
    ))
    fields = r.stdout.split()
    if len(fields) != 2:
        return False, "probe did not run: " + brief(r)
    if fields != ["2", "1"]:
        return False, f"Seccomp={fields[0]} NoNewPrivs={fields[1]} (want 2 and 1)"
    return True, "seccomp filter mode, no-new-privileges"


async def check_no_leftover(sb: SandboxProvider) -> Outcome:
    """A detached grandchild (setsid + double fork + sleep) is gone as soon as its exec returns."""
    marker = f"detached_{secrets.token_hex(4)}"
    r = await sb.exec(py(
        "import os, time\nif os.fork() == 0:\n os.setsid()\n if os.fork() == 0:\n  time.sleep(300)\n"
        " os._exit(0)\ntime.sleep(0.3)\nprint('PARENT DONE')\n", marker, timeout_s=20,
    ))
    if "PARENT DONE" not in r.stdout:
        return False, "probe did not run: " + brief(r)
    left = await gone(marker, within_s=1.0)
    if left:
        return False, f"detached processes alive after the exec returned: {left}"
    return True, f"detached grandchild gone when the exec returned ({r.wall_s:.2f}s)"


KERNEL_CHECKS = [
    ConformanceCheck("root_mapping", check_root_mapping),
    ConformanceCheck("nested_userns_blocked", check_nested_userns),
    ConformanceCheck("mount_blocked", check_mount_blocked),
    ConformanceCheck("ptrace_blocked", check_ptrace_blocked, providers=("bubblewrap",),
                     why_not="docker keeps the engine's default seccomp profile, which allows ptrace inside the "
                     "container (no capabilities, own pid namespace)"),
    ConformanceCheck("proc_sys_readonly", check_proc_sys_readonly),
    ConformanceCheck("seccomp_active", check_seccomp_active),
    ConformanceCheck("no_leftover_process", check_no_leftover),
]
