"""Errors raised by sandbox providers."""

from __future__ import annotations


class SandboxError(RuntimeError):
    """A sandbox operation failed (not the code inside it: that is a non-zero exit code)."""


class SandboxUnavailable(SandboxError):
    """No provider can run here as configured; the message names the fix."""


class PathOutsideWorkdir(SandboxError, PermissionError):
    """A file path resolves outside the sandbox's work directory."""
