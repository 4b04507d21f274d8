"""The event every exec leaves in the run log."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from proctor.log import Event


class SandboxExecEvent(Event):
    """One command ran in a sandbox, or failed to (``error`` then says how: an exception in the
    provider, a failed mirror of the work directory, a cancellation)."""

    event: Literal["sandbox_exec"] = "sandbox_exec"
    provider: str
    sandbox_id: str
    action_id: str | None = Field(default=None, description="The approved action that was executed.")
    approver: str | None = None
    argv: list[str] = Field(default_factory=list)
    exit_code: int | None = None
    wall_s: float = 0.0
    cpu_s: float | None = None
    peak_memory_mb: float | None = None
    timed_out: bool = False
    oom_killed: bool = False
    killed: bool = False
    truncated: bool = False
    disk_quota_exceeded: bool = False
    notes: list[str] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the exec failed in Proctor, if it did.")


class SandboxHostWarningEvent(Event):
    """A sandbox was opened on the bare host (``sandbox.allow_host``): nothing is isolated."""

    event: Literal["sandbox_host_warning"] = "sandbox_host_warning"
    sandbox_id: str
    detail: str
