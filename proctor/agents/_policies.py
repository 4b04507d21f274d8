"""The policies a node hands to the gate: untrusted resampling, the trusted policy, the trusted editor.

Protocols call these when they need another action than the one proposed (see
:mod:`proctor.control.protocols`):

- ``resample`` asks the *untrusted* model for the same kind of action again (defer to resample);
- ``trusted_policy`` asks the *trusted* model for its own action (defer to trusted);
- ``trusted_editor`` asks the *trusted* model to rewrite the proposed action, with the monitor's
  findings (trusted editing).

Each keeps the node and task and returns an action of the proposal's kind: a literature query, a
shell command or sandbox run (argv only: no environment, no stdin from a model), a message (a
hand-off's fields each drawn again, so the receiver still finds them), or a file edit. A file edit
is regenerated as search/replace edits of the file as it was before the change (``sources``), so
the gated diff is always against the original file and holds every line written. A model that fails
or returns nothing usable raises, and the gate then holds the action for a human.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from proctor.agents._code_edits import EditError, anchor_lines, apply_edits, edit_schema
from proctor.agents._context import RunContext
from proctor.agents._text import clipped
from proctor.control import (
    Action,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    MessageField,
    MonitorVerdict,
    PolicyCallbacks,
    SandboxRun,
    ShellCommand,
    TrajectoryView,
    parse_fields,
    render_action,
    render_fields,
)
from proctor.diffs import unified_diff
from proctor.llm import get_model, is_embedded
from proctor.prompts import render

MAX_ARGS = 32
Regenerate = Callable[[str, str, Action, TrajectoryView, list[str]], Awaitable[Action]]


class PolicyFailed(RuntimeError):
    """A policy could not produce a usable action (the gate holds the original for a human)."""


class _QueryOut(BaseModel):
    query: clipped(200)  # type: ignore[valid-type]


class _CommandOut(BaseModel):
    argv: list[clipped(300)] = Field(min_length=1, max_length=MAX_ARGS)  # type: ignore[valid-type]


class _MessageOut(BaseModel):
    text: clipped(4000)  # type: ignore[valid-type]


_KINDS = {"query": "literature query", "shell": "shell command (argv list)", "sandbox_run": "command (argv list)",
          "message": "message text", "file_edit": "code change (search/replace edits)"}


class NodePolicies:
    """The three policies of one node, bound to a run.

    Args:
        ctx: the run.
        sources: for file edits, each path's content before the proposed change.
        regenerate: the node's own way to draw an action, ``(role, mode, action, view, reasons) ->
            Action`` (``mode`` is ``untrusted``, ``trusted`` or ``editor``); the experiment node passes
            its proposers, so a deferred or edited change takes the same typed form as the proposal.
        fields: for a hand-off message, its fields: each is drawn again on its own.
    """

    def __init__(self, ctx: RunContext, *, sources: Mapping[str, str] | None = None,
                 regenerate: Regenerate | None = None, fields: Sequence[MessageField] = ()) -> None:
        self.ctx = ctx
        self.sources = dict(sources or {})
        self.regenerate = regenerate
        self.fields = tuple(fields)

    def callbacks(self) -> PolicyCallbacks:
        """The callbacks the gate's protocols may call."""
        return PolicyCallbacks(trusted_policy=self.trusted_policy, resample=self.resample,
                               trusted_editor=self.trusted_editor)

    async def resample(self, action: Action, view: TrajectoryView) -> Action:
        """The untrusted model's proposal, drawn again."""
        return await self._regenerate("untrusted", "untrusted", action, view, [])

    async def trusted_policy(self, action: Action, view: TrajectoryView) -> Action:
        """The trusted model's own action for the task."""
        return await self._regenerate("trusted", "trusted", action, view, [])

    async def trusted_editor(self, action: Action, verdict: MonitorVerdict, view: TrajectoryView) -> Action:
        """The proposed action, rewritten by the trusted model to remove what the monitor flagged."""
        return await self._regenerate("trusted", "editor", action, view, list(verdict.reasons)[:8])

    async def _regenerate(self, role: str, mode: str, action: Action, view: TrajectoryView,
                          reasons: list[str]) -> Action:
        if self.regenerate is not None:
            new = await self.regenerate(role, mode, action, view, reasons)
            return new.model_copy(update={"id": secrets.token_hex(6), "reasoning": f"{mode} policy ({role} model)"})
        p = action.payload
        source = self.sources.get(p.path) if isinstance(p, FileEdit) else None
        if isinstance(p, FileEdit) and source is None:
            raise PolicyFailed(f"no original of {p.path} to regenerate an edit against")
        prompt = render("agents/policy.j2", role=mode, task=view.task or action.task,
                        proposed=render_action(action)[:6000], reasons=reasons,
                        history=[h.summary for h in view.history], kind=_KINDS[action.kind],
                        source=(source or "")[:12000])
        model = get_model(role, self.ctx.settings)
        seed = secrets.randbelow(2**31)  # a resample must differ from the first draw
        messages = [{"role": "user", "content": prompt}]
        payload: Any
        if isinstance(p, LiteratureQuery):
            out = await model.structured(messages, _QueryOut, max_tokens=80, seed=seed)
            payload = p.model_copy(update={"query": " ".join(out.query.split()), "url": None})
            if not payload.query:
                raise PolicyFailed("the policy wrote an empty query")
        elif isinstance(p, ShellCommand):
            cmd = await model.structured(messages, _CommandOut, max_tokens=200, seed=seed)
            payload = ShellCommand(argv=list(cmd.argv), cwd=p.cwd, timeout_s=p.timeout_s)
        elif isinstance(p, SandboxRun):
            cmd = await model.structured(messages, _CommandOut, max_tokens=200, seed=seed)
            payload = p.model_copy(update={"command": list(cmd.argv)})
        elif isinstance(p, AgentMessage):
            payload = p.model_copy(update={"text": await self._message(model, mode, action, view, reasons, seed)})
        else:
            assert isinstance(p, FileEdit) and source is not None
            payload = await self._edit(model, messages, p, source, base=(p.new_content or source)
                                       if mode == "editor" else source, seed=seed)
        return action.model_copy(update={"id": secrets.token_hex(6), "payload": payload,
                                         "reasoning": f"{mode} policy ({role} model)"})

    async def _message(self, model: Any, mode: str, action: Action, view: TrajectoryView, reasons: list[str],
                       seed: int) -> str:
        """The message text drawn again: each hand-off field on its own, or the whole text."""
        p = action.payload
        assert isinstance(p, AgentMessage)
        parts = parse_fields(p.text, self.fields) if self.fields else {"": p.text}
        out = {}
        for name, text in parts.items():
            prompt = render("agents/policy.j2", role=mode, task=view.task or action.task,
                            proposed=(f"{name}: " if name else "") + text[:6000], reasons=reasons,
                            history=[h.summary for h in view.history], kind=_KINDS["message"], source="")
            msg = await model.structured([{"role": "user", "content": prompt}], _MessageOut, max_tokens=800, seed=seed)
            out[name] = msg.text
        if not any(v.strip() for v in out.values()):
            raise PolicyFailed("the policy wrote an empty message")
        return render_fields(out) if self.fields else out[""]

    async def _edit(self, model: Any, messages: list[dict[str, Any]], p: FileEdit, source: str, *,
                    base: str, seed: int) -> FileEdit:
        anchors = anchor_lines(base) if is_embedded(model.name) else None
        change = await model.structured(messages, edit_schema(anchors), max_tokens=400, seed=seed)
        try:
            new = apply_edits(base, [(e.search, e.replace) for e in change.edits])  # type: ignore[attr-defined]
        except EditError as exc:
            raise PolicyFailed(f"the policy's edit does not apply: {exc}") from exc
        return FileEdit(path=p.path, diff=unified_diff(source, new, p.path), new_content=new)
