"""Sandboxes: isolated execution of untrusted experiment code.

Providers implement :class:`SandboxProvider` and register with ``@sandbox_provider("name")``
(the :data:`SANDBOXES` registry): ``docker`` (locked-down container), ``bubblewrap`` (daemonless namespaces) and ``host`` (no
isolation, opt-in only). :func:`open_sandbox` picks one from ``sandbox.provider``. ``exec``
accepts only an :class:`~proctor.control.ApprovedAction`; every exec is a ``sandbox_exec`` event.
Host code reads what sandboxed code wrote only through :class:`WorkDir` (the trust boundary).

During a run ``sandbox.work`` is the *live* work directory (a quota tmpfs where Proctor can mount,
mirrored to the caller's ``workdir``, ``sandbox.persistent``, after every exec); after cleanup it is
the persistent one again. ``open_sandbox(..., harness_dir=...)`` shows trusted files read-only at
``/harness`` (``PROCTOR_HARNESS_DIR``). :func:`reap_stale_resources` removes what killed harnesses left.
"""

from proctor.sandboxes._bwrap import BubblewrapSandbox
from proctor.sandboxes._conformance import CHECKS, CheckResult, ConformanceCheck, run_check, run_conformance
from proctor.sandboxes._docker import DockerSandbox
from proctor.sandboxes._errors import PathOutsideWorkdir, SandboxError, SandboxUnavailable
from proctor.sandboxes._events import SandboxExecEvent, SandboxHostWarningEvent
from proctor.sandboxes._gpu import GpuAllocator, GpuLease, detect_gpus, device_requests
from proctor.sandboxes._host import HostSandbox
from proctor.sandboxes._image import build_image
from proctor.sandboxes._live import reap_stale_resources
from proctor.sandboxes._provider import SANDBOXES, ExecRequest, SandboxProvider, sandbox_provider
from proctor.sandboxes._result import ExecResult
from proctor.sandboxes._rootfs import build_rootfs, rootfs_dir
from proctor.sandboxes._select import AUTO_ORDER, open_sandbox, provider_class, select_provider
from proctor.sandboxes._workdir import UntrustedFileError, WorkDir, safe_name
from proctor.settings import SandboxSettings

__all__ = [
    "AUTO_ORDER",
    "BubblewrapSandbox",
    "CHECKS",
    "CheckResult",
    "ConformanceCheck",
    "DockerSandbox",
    "ExecRequest",
    "ExecResult",
    "GpuAllocator",
    "GpuLease",
    "HostSandbox",
    "PathOutsideWorkdir",
    "SANDBOXES",
    "SandboxError",
    "SandboxExecEvent",
    "SandboxHostWarningEvent",
    "SandboxProvider",
    "SandboxSettings",
    "SandboxUnavailable",
    "UntrustedFileError",
    "WorkDir",
    "build_image",
    "build_rootfs",
    "detect_gpus",
    "device_requests",
    "open_sandbox",
    "provider_class",
    "reap_stale_resources",
    "rootfs_dir",
    "run_check",
    "run_conformance",
    "safe_name",
    "sandbox_provider",
    "select_provider",
]
