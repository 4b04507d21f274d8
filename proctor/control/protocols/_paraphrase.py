"""The trusted paraphraser of agent-to-agent hand-offs (against hidden signalling and collusion).

Source: Redwood's "AI Control" (paraphrasing against collusion in untrusted monitoring) and
steganography defences. Each hand-off edge of the workflow is configured in
``control.paraphrase.<edge>``:

- ``false``: the receiving agent sees the text as the sender wrote it (still gated and monitored);
- ``true`` (the default): the code paraphraser (:mod:`._normalise`) re-renders the message from its
  fields, with invisible characters, look-alike letters, case and whitespace patterns removed;
- ``"trusted"`` or a model string: the same, then that model (``llm.trusted`` for ``"trusted"``)
  rewrites each field in its own words (``control/paraphrase.j2``), and the rewrite is normalised
  again. The embedded ``local/...`` base model cannot paraphrase: for it the code paraphraser is
  used alone, and the record says so.

A model that fails or answers nothing raises :class:`ParaphraseError`: the raw text is never
forwarded in place of a failed paraphrase. Every paraphrase leaves a :class:`ParaphraseEvent`
(the edge, the method, SHA-256 of the text before and after, what was removed, the diff).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from proctor.control.core import AgentMessage
from proctor.control.protocols._normalise import (
    MessageField,
    normalise,
    normalise_fields,
    parse_fields,
    render_fields,
)
from proctor.diffs import unified_diff
from proctor.log import Event

HANDOFF_EDGES = ("ideation_to_experiments", "experiments_to_writeup", "writeup_to_review")
"""The workflow's hand-off edges (each a field of ``control.paraphrase``)."""
_CHUNK = 3000  # characters of a multiline field one model call rewrites
_DIFF_CHARS = 4000


class ParaphraseError(RuntimeError):
    """The trusted model could not paraphrase; the message is not delivered (fail closed)."""


class ParaphraseEvent(Event):
    """A hand-off was paraphrased (or passed as written) on its way to the next agent."""

    event: Literal["paraphrase"] = "paraphrase"
    edge: str
    method: str = Field(description="off, code, or code+<model> (the model rewrote each field).")
    action_id: str = ""
    action_digest: str = ""
    before_sha256: str
    after_sha256: str
    changed: bool
    removed: dict[str, int] = Field(default_factory=dict, description="What the code paraphraser removed.")
    diff: str = Field(default="", description="Unified diff of the text before and after (truncated).")
    note: str = ""


class Paraphrased(BaseModel):
    """The hand-off as the receiving agent sees it, and the record of what changed."""

    edge: str
    method: str
    fields: dict[str, str]
    before: str
    after: str
    removed: dict[str, int] = Field(default_factory=dict)
    note: str = ""

    @property
    def changed(self) -> bool:
        """Whether the receiver sees other text than the sender wrote."""
        return self.before != self.after

    def diff(self, limit: int = _DIFF_CHARS) -> str:
        """Unified diff of before and after, cut to ``limit`` characters."""
        text = unified_diff(self.before, self.after, f"handoff/{self.edge}") if self.changed else ""
        return text if len(text) <= limit else text[:limit] + "\n... (diff truncated)\n"

    def event(self, action_id: str = "", action_digest: str = "") -> ParaphraseEvent:
        """The event recording this paraphrase."""
        return ParaphraseEvent(
            edge=self.edge, method=self.method, action_id=action_id, action_digest=action_digest,
            before_sha256=_sha(self.before), after_sha256=_sha(self.after), changed=self.changed,
            removed=self.removed, diff=self.diff(), note=self.note)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def paraphrase_model(spec: bool | str, settings: Any) -> tuple[str, str | None, str]:
    """``(method, model, note)`` for an edge's setting: ``off``, ``code``, or ``model`` with its string."""
    if spec is False:
        return "off", None, ""
    if spec is True:
        return "code", None, ""
    model = settings.llm.trusted if spec == "trusted" else str(spec)
    from proctor.llm import is_embedded

    if is_embedded(model):
        return "code", None, f"{model} is a base model and cannot paraphrase: the code paraphraser alone was used"
    return "model", model, ""


def _chunks(text: str, size: int = _CHUNK) -> list[str]:
    """Paragraph groups of at most about ``size`` characters (a longer paragraph is one chunk)."""
    out: list[str] = []
    for para in text.split("\n\n"):
        if out and len(out[-1]) + len(para) + 2 <= size:
            out[-1] += "\n\n" + para
        else:
            out.append(para)
    return [c for c in out if c.strip()]


async def _rewrite(model: Any, message: AgentMessage, name: str, text: str, max_tokens: int) -> str:
    from proctor.prompts import render

    prompt = render("control/paraphrase.j2", sender=message.sender, recipient=message.recipient, text=text)
    try:
        reply = await model.complete([{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0.0)
    except Exception as exc:
        raise ParaphraseError(f"paraphrasing {name} of {message.sender}->{message.recipient} failed ({exc}); "
                              "the message was not delivered") from exc
    out = str(reply.text).strip()
    if not out:
        raise ParaphraseError(f"empty paraphrase of {name} for {message.sender}->{message.recipient}; not delivered")
    return out


async def paraphrase_message(edge: str, message: AgentMessage, fields: Sequence[MessageField], spec: bool | str,
                             settings: Any, *, model: Any = None, max_tokens: int = 1200) -> Paraphrased:
    """The fields of ``message`` as the receiving agent on ``edge`` sees them.

    Steps:
        1. Parse the message's fields (``[[Name]]`` sections); text outside them is dropped
           unless the edge is off.
        2. ``off``: return the fields as written. Otherwise normalise each field (:func:`normalise`).
        3. With a model (not the embedded base model): rewrite each field, a multiline one in
           paragraph chunks, at temperature 0, and normalise the rewrite.

    Args:
        edge: the hand-off edge (for the record).
        message: the approved message (what the gate let through).
        fields: the fields the receiver expects.
        spec: the edge's ``control.paraphrase`` value.
        settings: the settings tree.
        model: object with ``complete`` (default: the gateway's ``trusted`` role on the chosen model).
        max_tokens: completion limit per rewrite.

    Raises:
        ParaphraseError: the model failed or answered nothing (the message is not delivered).
    """
    method, model_name, note = paraphrase_model(spec, settings)
    stats: Counter[str] = Counter()
    parsed = parse_fields(message.text, fields, stats)
    if method == "off":
        return Paraphrased(edge=edge, method="off", fields=parsed, before=message.text, after=message.text)
    values = normalise_fields(parsed, fields, stats)
    if method == "model":
        if model is None:
            from proctor.llm import get_model

            model = get_model("trusted", settings.llm.model_copy(update={"trusted": model_name}))
        rewritten: dict[str, str] = {}
        for f in fields:
            parts = _chunks(values[f.name]) if f.multiline else [values[f.name]]
            done = [await _rewrite(model, message, f.name, part, max_tokens) for part in parts if part.strip()]
            rewritten[f.name] = normalise(("\n\n" if f.multiline else " ").join(done), multiline=f.multiline)
        values = rewritten
        method = f"code+{model_name}"
    removed = {k: v for k, v in sorted(stats.items()) if v}
    return Paraphrased(edge=edge, method=method, fields=values, before=message.text, after=render_fields(values),
                       removed=removed, note=note)
