"""Conformance checks on files: the live quota, host files, links, the harness mount, the mirror, host
paths seen from inside, and the exec event of a failed exec."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path

from proctor.control import Action, FileEdit, approve_harness
from proctor.log import Event, add_listener
from proctor.sandboxes._errors import SandboxError
from proctor.sandboxes._probes import NODE, ConformanceCheck, Outcome, brief, no_live_mount, py, shell
from proctor.sandboxes._provider import SandboxProvider
from proctor.sandboxes._workdir import UntrustedFileError, WorkDir

_FILL = """
import errno, os, sys
mode, n, err = sys.argv[1], 0, None
try:
    if mode == "big":
        while n < 100000:
            with open(f"f{n}", "wb") as f:
                f.write(b"x" * 262144)
            n += 1
    elif mode == "empty":
        os.mkdir("many")
        while n < 100000:
            open(f"many/e{n}", "wb").close()
            n += 1
    else:
        while n < 100000:
            name = "d" * 200
            os.mkdir(name)
            os.chdir(name)
            n += 1
except OSError as e:
    err = e.errno
print(n, err)
"""


async def _fill(sb: SandboxProvider, mode: str) -> Outcome:
    if sb.live is None:
        return no_live_mount(sb)
    s = sb.settings
    r = await sb.exec(py(_FILL, mode, timeout_s=60))
    try:
        n_s, err_s = r.stdout.split()[:2]
        n, err = int(n_s), None if err_s == "None" else int(err_s)
    except ValueError:
        return False, "probe did not run: " + brief(r)
    quota = s.disk_quota_mb * 2**20
    used = await asyncio.to_thread(WorkDir(sb.persistent).size)
    if err != 28:
        return False, f"{mode}: {n} made, stopped by errno {err}, not ENOSPC (quota {s.disk_quota_mb} MiB, {s.max_files} files)"
    if mode == "big" and n * 262144 > quota:
        return False, f"{n * 262144} bytes written under a {quota}-byte quota"
    if mode != "big" and n > s.max_files:
        return False, f"{n} entries made under max_files={s.max_files}"
    if not r.disk_quota_exceeded:
        return False, f"ENOSPC after {n}, but the result does not say disk_quota_exceeded"
    if used > quota:
        return False, f"the persistent copy holds {used} bytes, over the quota"
    return True, f"{mode}: ENOSPC after {n} (quota {s.disk_quota_mb} MiB / {s.max_files} files), flagged; mirror {used} bytes"


async def check_quota_bytes(sb: SandboxProvider) -> Outcome:
    """Many 256 KiB files stop at the disk quota with ENOSPC while the code runs."""
    return await _fill(sb, "big")


async def check_quota_files(sb: SandboxProvider) -> Outcome:
    """Many empty files stop at ``sandbox.max_files`` with ENOSPC."""
    return await _fill(sb, "empty")


async def check_quota_long_paths(sb: SandboxProvider) -> Outcome:
    """One deep tree of 200-character names stops at the quota; host walks and the mirror survive it."""
    return await _fill(sb, "deep")


def _plant_secrets(sb: SandboxProvider, canary: str) -> tuple[Path, Path, Path | None]:
    tmp = Path(tempfile.mkdtemp(prefix="proctor-canary-"))
    secret = tmp / "secret.txt"
    secret.write_text(canary)
    secret.chmod(0o600)
    tmp.chmod(0o755)
    planted = None
    if os.getuid() == 0:  # as root, a root-owned 0600 file inside /work tests the uid mapping itself
        planted = sb.workdir / "root_only.txt"
        planted.write_text(canary)
        os.chown(planted, 0, 0)
        planted.chmod(0o600)
    return tmp, secret, planted


def _unplant(tmp: Path, planted: Path | None) -> None:
    if planted is not None:
        planted.unlink(missing_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)


async def check_host_file_read(sb: SandboxProvider) -> Outcome:
    """Root-only 0600 files (a host temp file, one planted in the work dir, /etc/shadow) are unreadable."""
    canary = "CANARY-" + secrets.token_hex(8)
    tmp, secret, planted = await asyncio.to_thread(_plant_secrets, sb, canary)
    paths = [str(secret), f"/proc/1/root{secret}", "/etc/shadow", "/proc/1/root/etc/shadow",
             f"{sb.inner_workdir}/root_only.txt"]
    try:
        r = await sb.exec(py(
            "import sys\nfor p in sys.argv[1:]:\n try:\n  print('READ', p, open(p).read()[:64])\n"
            " except OSError as e:\n  print('DENIED', p, e.errno)\n", *paths,
        ))
    finally:
        await asyncio.to_thread(_unplant, tmp, planted)
    read = [ln for ln in r.stdout.splitlines() if ln.startswith("READ")]
    if "DENIED" not in r.stdout and not read:
        return False, "probe did not run: " + brief(r)
    if canary in r.stdout or read:
        return False, f"read from inside: {[ln[:80] for ln in read]}"
    return True, f"{len(paths)} root-only paths unreadable" + ("" if planted else " (not root: no planted file)")


def _link_target(canary: str) -> tuple[Path, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="proctor-linktarget-"))
    (tmp / "host.txt").write_text(canary)
    tmp.chmod(0o755)
    return tmp, Path(tempfile.mkdtemp(prefix="proctor-copyout-"))


def _copied_and_mirrored(dest: Path, persistent: Path) -> tuple[list[str], list[str]]:
    copied = [p.read_text(errors="replace") for p in dest.rglob("*") if p.is_file() and not p.is_symlink()]
    return copied, [str(p) for p in persistent.rglob("*") if p.is_symlink()]


async def check_links_not_followed(sb: SandboxProvider) -> Outcome:
    """Links the code plants to host files are never followed by host reads, listings or copies."""
    canary = "CANARY-" + secrets.token_hex(8)
    tmp, dest = await asyncio.to_thread(_link_target, canary)
    try:
        r = await sb.exec(shell(["sh", "-c", 'ln -s "$1" link.txt && ln -s "$2" dirlink && ln -s / rootlink && echo ok',
                                 "sh", str(tmp / "host.txt"), str(tmp)]))
        if "ok" not in r.stdout:
            return False, "could not plant links: " + brief(r)
        refused = 0
        for rel in ("link.txt", "dirlink/host.txt", "rootlink/etc/passwd"):
            try:
                await sb.read_file(rel)
            except (UntrustedFileError, FileNotFoundError):
                refused += 1
        listed = set(await asyncio.to_thread(sb.work.files, "*", recursive=True))
        skipped = await sb.copy_out(dest)
        copied, mirrored = await asyncio.to_thread(_copied_and_mirrored, dest, sb.persistent)
    finally:
        await asyncio.to_thread(shutil.rmtree, tmp, True)
        await asyncio.to_thread(shutil.rmtree, dest, True)
    if refused != 3:
        return False, f"a host read followed a link ({3 - refused} of 3)"
    if listed & {"link.txt", "dirlink", "rootlink"} or any(canary in c for c in copied):
        return False, "a link was listed or its target copied out"
    if "link.txt" not in skipped or mirrored:
        return False, f"copy_out skipped {skipped}; links in the persistent copy: {mirrored}"
    return True, "3 planted links refused by read_file, never listed, skipped by copy_out and the mirror"


async def check_harness_readonly(sb: SandboxProvider) -> Outcome:
    """The harness directory is readable at ``$PROCTOR_HARNESS_DIR`` and nothing under it is writable."""
    if sb.harness_source is None:
        return False, "sandbox has no harness directory"
    before = sorted(str(p.relative_to(sb.harness_source)) for p in sb.harness_source.rglob("*"))
    r = await sb.exec(py(
        "import os\nh = os.environ.get('PROCTOR_HARNESS_DIR', '')\nprint('DIR', h)\n"
        "print('READ', open(h + '/plot.py').read().strip())\nok = []\n"
        "for name, fn in [('new', lambda: open(h + '/new.py', 'w').write('x')),\n"
        "                 ('append', lambda: open(h + '/plot.py', 'a').write('x')),\n"
        "                 ('sub', lambda: open(h + '/sub/data.txt', 'w').write('x')),\n"
        "                 ('mkdir', lambda: os.mkdir(h + '/d')),\n"
        "                 ('chmod', lambda: os.chmod(h + '/plot.py', 0o777)),\n"
        "                 ('unlink', lambda: os.unlink(h + '/plot.py'))]:\n"
        " try:\n  fn(); ok.append(name)\n except OSError:\n  pass\nprint('WROTE', *ok)\n",
    ))
    after = sorted(str(p.relative_to(sb.harness_source)) for p in sb.harness_source.rglob("*"))
    content = (sb.harness_source / "plot.py").read_text()
    if "READ print('harness plot')" not in r.stdout:
        return False, "harness file not readable inside: " + brief(r)
    wrote = r.stdout.split("WROTE", 1)[-1].split()
    if wrote or before != after or content != "print('harness plot')\n":
        return False, f"writes under the harness directory succeeded: {wrote}"
    inner = r.stdout.split("DIR", 1)[-1].split()[0] if "DIR " in r.stdout else "?"
    if sb.isolated and inner != sb.inner_harness:
        return False, f"PROCTOR_HARNESS_DIR is {inner!r}, not {sb.inner_harness}"
    return True, f"{inner} readable; 6 kinds of write refused; host copy unchanged"


async def check_mirror(sb: SandboxProvider) -> Outcome:
    """After an exec the persistent copy mirrors the live one: files 0644, dirs 0755, deletions too;
    links, FIFOs and set-uid bits stay behind."""
    if sb.live is None:
        return no_live_mount(sb)
    edit = FileEdit(path="gone.txt", diff="", new_content="to be deleted")
    await sb.write_file(approve_harness(Action(node=NODE, payload=edit, origin="harness")))
    if not await asyncio.to_thread((sb.persistent / "gone.txt").is_file):
        return False, "a harness write was not mirrored"
    r = await sb.exec(shell(["sh", "-c", "mkdir -p d/e && echo data > d/e/f.txt && chmod 4755 d/e/f.txt && "
                             "echo run > g.sh && chmod 755 g.sh && mkfifo fifo && ln -s g.sh sym && rm gone.txt"]))
    if r.exit_code != 0:
        return False, "setup failed: " + brief(r)
    problems = await asyncio.to_thread(_mirror_problems, sb.persistent)
    return (False, "; ".join(problems)) if problems else (True, "files 0644, dirs 0755, deletion mirrored, FIFO and link dropped")


def _mirror_problems(p: Path) -> list[str]:
    problems = []
    if (p / "gone.txt").exists():
        problems.append("deletion not mirrored")
    if not (p / "d/e/f.txt").is_file() or (p / "d/e/f.txt").read_text() != "data\n":
        problems.append("d/e/f.txt missing")
    modes = {rel: stat.S_IMODE(os.lstat(p / rel).st_mode) for rel in ("d", "d/e", "d/e/f.txt", "g.sh")
             if os.path.lexists(p / rel)}
    if modes != {"d": 0o755, "d/e": 0o755, "d/e/f.txt": 0o644, "g.sh": 0o644}:
        problems.append(f"modes {json.dumps({k: oct(v) for k, v in modes.items()})}")
    if os.path.lexists(p / "fifo") or os.path.lexists(p / "sym"):
        problems.append("a FIFO or link reached the persistent copy")
    return problems


async def check_host_paths_hidden(sb: SandboxProvider) -> Outcome:
    """No process command line or environment, and no mount table, inside shows the run's host paths."""
    secrets_ = [str(sb.persistent)] + ([str(sb.harness_source)] if sb.harness_source else [])
    r = await sb.exec(py(
        "import glob, sys\nneedles = sys.stdin.read().split('\\n')\nseen = []\n"
        "for f in glob.glob('/proc/[0-9]*/cmdline') + glob.glob('/proc/[0-9]*/environ') + "
        "['/proc/self/mountinfo', '/proc/1/mountinfo']:\n"
        " try:\n  data = open(f, 'rb').read().decode(errors='replace')\n except OSError:\n  continue\n"
        " seen.append(f)\n if any(n and n in data for n in needles):\n  print('LEAK', f)\nprint('SEEN', len(seen))\n",
        stdin="\n".join(secrets_),
    ))
    if "SEEN" not in r.stdout:
        return False, "probe did not run: " + brief(r)
    leaks = [ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("LEAK")]
    if leaks:
        return False, f"host paths of the run visible in {leaks[:6]}"
    return True, f"none of {len(secrets_)} host paths in {r.stdout.split('SEEN', 1)[1].strip()} /proc files"


async def check_exec_event_on_failure(sb: SandboxProvider) -> Outcome:
    """A provider that raises and a command that times out each still leave their ``sandbox_exec`` event."""
    events: list[Event] = []
    remove = add_listener(lambda e: events.append(e) if e.event == "sandbox_exec" else None)

    async def boom(request: object) -> None:
        raise SandboxError("injected provider failure")

    try:
        setattr(sb, "_run", boom)  # noqa: B010 - shadow the method on this instance only
        try:
            await sb.exec(shell(["true"]))
        except SandboxError:
            pass
        else:
            return False, "the injected failure did not propagate"
        finally:
            delattr(sb, "_run")
        await sb.exec(shell(["sleep", "30"], timeout_s=1))
    finally:
        remove()
    failed = [e for e in events if "injected provider failure" in (getattr(e, "error", None) or "")]
    timed = [e for e in events if getattr(e, "timed_out", False)]
    if not failed:
        return False, f"no sandbox_exec event with the error ({len(events)} events)"
    if not timed:
        return False, "no sandbox_exec event for the timed-out exec"
    return True, f"{len(events)} events: error recorded ({getattr(failed[0], 'error', '')[:50]}), timeout flagged"


FILE_CHECKS = [
    ConformanceCheck("quota_bytes_live", check_quota_bytes, isolation=False),
    ConformanceCheck("quota_files_live", check_quota_files, isolation=False),
    ConformanceCheck("quota_long_paths", check_quota_long_paths, isolation=False),
    ConformanceCheck("host_file_read", check_host_file_read),
    ConformanceCheck("links_not_followed", check_links_not_followed, isolation=False),
    ConformanceCheck("harness_readonly", check_harness_readonly, harness=True),
    ConformanceCheck("mirror", check_mirror, isolation=False),
    ConformanceCheck("host_paths_hidden", check_host_paths_hidden, harness=True),
    ConformanceCheck("exec_event_on_failure", check_exec_event_on_failure, isolation=False),
]
