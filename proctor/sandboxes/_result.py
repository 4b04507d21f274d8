"""The result of one exec, and the bounded buffer that collects its output."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ExecResult(BaseModel):
    """What one command did inside a sandbox.

    stdout and stderr keep at most ``output_limit_bytes`` each (decoded as UTF-8 with
    replacement); ``*_bytes`` give the full size the command produced.
    """

    exit_code: int = Field(description="Exit status; 128+N when killed by signal N, -1 if unknown.")
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = Field(default=0, description="Total bytes written to stdout.")
    stderr_bytes: int = Field(default=0, description="Total bytes written to stderr.")
    truncated: bool = Field(default=False, description="stdout or stderr was cut to the output limit.")
    wall_s: float = Field(default=0.0, description="Wall-clock seconds.")
    cpu_s: float | None = Field(default=None, description="User+system CPU seconds, when measurable.")
    peak_memory_mb: float | None = Field(default=None, description="Peak resident memory, when measurable.")
    timed_out: bool = Field(default=False, description="The wall timeout expired and the command was killed.")
    oom_killed: bool = Field(default=False, description="The kernel's OOM killer ended a process of the exec.")
    killed: bool = Field(default=False, description="Proctor killed the command (timeout, quota or cleanup).")
    disk_quota_exceeded: bool = Field(default=False, description="The work directory grew past its quota.")
    notes: list[str] = Field(default_factory=list, description="Degraded limits and other caveats.")

    def ok(self) -> bool:
        """Exit code 0 and no limit hit."""
        return self.exit_code == 0 and not (self.timed_out or self.oom_killed or self.killed)


class OutputBuffer:
    """Keeps the first ``limit`` bytes of a stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        """Append ``chunk``, keeping only what fits under the limit."""
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    @property
    def truncated(self) -> bool:
        """More was written than kept."""
        return self.total > len(self.data)

    def text(self) -> str:
        """The kept bytes as text, with a marker when truncated."""
        out = self.data.decode("utf-8", errors="replace")
        if self.truncated:
            out += f"\n[... truncated: {self.total} bytes in total, {len(self.data)} kept]"
        return out
