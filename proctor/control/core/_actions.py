"""Typed actions: everything an untrusted agent proposes before it may happen.

An :class:`Action` wraps one payload (a file edit as a unified diff, a shell command, a sandbox
run, a literature query, or a message to another agent) with the context a monitor needs: the
node's task, the agent's reasoning (kept as a separate channel) and where it came from. Its
:meth:`Action.digest` is a hash of what would be executed, used for idempotent monitoring and to
seal approvals.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class FileEdit(BaseModel):
    """An edit to one file in the run's work directory, as a unified diff."""

    kind: Literal["file_edit"] = "file_edit"
    path: str = Field(description="Path relative to the work directory.")
    diff: str = Field(description="Unified diff of the change.")
    new_content: str | None = Field(default=None, description="Full file after the edit, if known.")


class ShellCommand(BaseModel):
    """A command to run inside a sandbox."""

    kind: Literal["shell"] = "shell"
    argv: list[str]
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    stdin: str | None = None
    timeout_s: float | None = None


class SandboxRun(BaseModel):
    """An experiment run: image, mounts and command for a fresh sandbox."""

    kind: Literal["sandbox_run"] = "sandbox_run"
    image: str | None = None
    command: list[str]
    mounts: list[str] = Field(default_factory=list)
    gpus: int = 0
    timeout_s: float | None = None


class LiteratureQuery(BaseModel):
    """A query against the literature index, or, with ``source`` and ``url``, a request that leaves the
    machine (an online literature search, a paper's PDF). Both are left out of the dump (and the digest)
    when unset, so a local query's digest is what it always was."""

    kind: Literal["query"] = "query"
    query: str
    source: str | None = Field(default=None, exclude_if=lambda v: v is None,
                               description="Online service asked (semantic_scholar, openalex, arxiv, pdf).")
    url: str | None = Field(default=None, exclude_if=lambda v: v is None,
                            description="The request's public URL (no API key).")


class AgentMessage(BaseModel):
    """Text handed from one agent to another."""

    kind: Literal["message"] = "message"
    sender: str
    recipient: str
    text: str


ActionPayload = Annotated[
    FileEdit | ShellCommand | SandboxRun | LiteratureQuery | AgentMessage,
    Field(discriminator="kind"),
]
ActionKind = Literal["file_edit", "shell", "sandbox_run", "query", "message"]


class Action(BaseModel):
    """One proposal of an untrusted agent, with the context its monitors see."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    node: str = Field(description="Graph node (node type) that proposed it.")
    task: str = Field(default="", description="The node's task, as given to the agent.")
    payload: ActionPayload
    reasoning: str | None = Field(default=None, description="The agent's stated reasoning.")
    origin: Literal["untrusted", "trusted", "harness"] = "untrusted"

    @property
    def kind(self) -> ActionKind:
        """The payload's kind."""
        return self.payload.kind

    def digest(self) -> str:
        """SHA-256 of the node and payload: what would be executed, not who proposed it."""
        body = json.dumps(
            {"node": self.node, "payload": self.payload.model_dump(mode="json")},
            sort_keys=True, separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()
