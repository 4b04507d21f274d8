"""The seccomp filter bubblewrap loads before it starts sandboxed code.

Compiled once per process with libseccomp (Debian's ``libseccomp2``, through ctypes) into a classic
BPF program for the native architecture; bwrap reads it from a file descriptor (``--seccomp FD``).
Every other architecture, and the x32 ABI on x86_64, is killed by libseccomp's arch check. The filter
allows everything except what a sandboxed experiment never needs and kernel exploits often do:

* nested user namespaces (``clone``/``unshare`` with ``CLONE_NEWUSER``, ``setns``) and ``clone3``
  (its flags live in memory a filter cannot read; it fails with ``ENOSYS`` so libc falls back to
  ``clone``, whose flags it can);
* mounting (``mount``, ``umount2``, ``pivot_root`` and the new mount API);
* ``ptrace``, ``process_vm_readv``/``writev``, keyrings, ``bpf``, ``perf_event_open``,
  ``userfaultfd``, ``kexec``, kernel modules, ``open_by_handle_at``;
* ``personality`` other than ``PER_LINUX``/``PER_LINUX32`` with or without ``UNAME26``.

Each fails with ``EPERM`` (``clone3``: ``ENOSYS``), so the code sees an ordinary error.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os

CLONE_NEWUSER = 0x10000000
BLOCKED = (
    "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "open_by_handle_at", "acct", "swapon", "swapoff", "reboot",
)
"""Syscalls refused outright (names unknown on this architecture are skipped)."""
_PERSONALITY_OK = (0x0, 0x8, 0x20000, 0x20008)  # PER_LINUX, PER_LINUX32, each with UNAME26

_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ATTR_ACT_BADARCH = 2
_CMP_GT, _CMP_MASKED_EQ = 6, 7


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _Cmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]


class SeccompUnavailable(OSError):
    """libseccomp is missing or refused the filter."""


def _lib() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as exc:
        raise SeccompUnavailable(f"libseccomp2 is not installed ({exc}); fix: apt-get install libseccomp2") from exc
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_Cmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


def _rules() -> list[tuple[str, int, list[tuple[int, int, int]]]]:
    """``(syscall, action, [(op, a, b) on arg 0])``; several rules for one syscall are OR-ed."""
    eperm = _errno_action(errno.EPERM)
    rules: list[tuple[str, int, list[tuple[int, int, int]]]] = [(name, eperm, []) for name in BLOCKED]
    rules += [(name, eperm, [(_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)]) for name in ("clone", "unshare")]
    rules.append(("clone3", _errno_action(errno.ENOSYS), []))
    # personality: only the values in _PERSONALITY_OK. libseccomp takes one comparison per argument
    # and rule, so: anything above 0x20008, or any bit outside 0x20008 below it (bits 0-2, 4-16).
    rules.append(("personality", eperm, [(_CMP_GT, max(_PERSONALITY_OK), 0)]))
    rules += [("personality", eperm, [(_CMP_MASKED_EQ, 1 << bit, 1 << bit)])
              for bit in range(17) if not (1 << bit) & max(_PERSONALITY_OK)]
    return rules


@functools.cache
def filter_program() -> bytes:
    """The compiled BPF program (``struct sock_filter[]``) for this machine's architecture.

    Raises:
        SeccompUnavailable: without libseccomp, or when it rejects a rule.
    """
    lib = _lib()
    ctx = lib.seccomp_init(_ALLOW)
    if not ctx:
        raise SeccompUnavailable("seccomp_init failed")
    try:
        if lib.seccomp_attr_set(ctx, _ATTR_ACT_BADARCH, _KILL_PROCESS) != 0:
            raise SeccompUnavailable("libseccomp cannot kill on a foreign architecture")
        for name, action, cmps in _rules():
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:  # not a syscall of this architecture
                continue
            arr = (_Cmp * max(len(cmps), 1))(*[_Cmp(0, op, a, b) for op, a, b in cmps])
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), arr)
            if rc != 0:
                raise SeccompUnavailable(f"libseccomp refused the rule for {name}: {os.strerror(-rc)}")
        fd = os.memfd_create("proctor-seccomp", os.MFD_CLOEXEC)
        try:
            rc = lib.seccomp_export_bpf(ctx, fd)
            if rc != 0:
                raise SeccompUnavailable(f"seccomp_export_bpf failed: {os.strerror(-rc)}")
            size = os.fstat(fd).st_size
            return os.pread(fd, size, 0)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)


def program_fd() -> int:
    """A fresh, inheritable, read-only-positioned memfd holding :func:`filter_program` (caller closes it)."""
    return data_fd("proctor-seccomp", filter_program())


def data_fd(name: str, data: bytes) -> int:
    """An inheritable memfd holding ``data``, positioned at its start (for bwrap's ``--args``/``--seccomp``)."""
    fd = os.memfd_create(name, 0)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd
