"""Hand-offs: text one agent gives another passes the gate, then the trusted paraphraser.

Three edges carry untrusted text into the next agent's prompt (``control.paraphrase.<edge>``):

- ``ideation_to_experiments``: the idea's title and experiment, into the experiment proposal prompt;
- ``experiments_to_writeup``: the idea, the results table and the change's rationale, into the
  write-up prompt;
- ``writeup_to_review``: the paper, into the review.

Each hand-off is an ``AgentMessage`` action of node type ``<edge>`` (so ``control.protocols.<edge>``
picks its protocol), rendered from its fields and carrying the sender's reasoning where the model
gave one. It goes through :func:`._gating.submit` like every other action: the monitors score it, a
held one pauses the run, a blocked one stops the receiving stage (:class:`HandoffBlocked`). The
approved message (a human's modification or a trusted rewrite, if that is what the gate approved)
is then paraphrased (:func:`proctor.control.paraphrase_message`); the receiver sees only the
paraphrased fields. The record: a ``paraphrase`` event and audit-log record (the edge, the method,
SHA-256 before and after, what was removed, the diff), and ``handoffs/<idea>/<edge>.json`` with both
texts.
"""

from __future__ import annotations

from typing import Any

from proctor.agents._context import RunContext
from proctor.agents._gating import submit
from proctor.agents._policies import NodePolicies
from proctor.control import Action, AgentMessage, MessageField, paraphrase_message, render_fields
from proctor.log import emit

EDGES: dict[str, tuple[str, str, tuple[MessageField, ...]]] = {
    "ideation_to_experiments": ("ideation", "run_experiments", (MessageField("Title"), MessageField("Experiment"))),
    "experiments_to_writeup": ("run_experiments", "write_paper", (
        MessageField("Title"), MessageField("Experiment"), MessageField("Results", multiline=True),
        MessageField("Change", multiline=True))),
    "writeup_to_review": ("write_paper", "review_paper", (MessageField("Paper", multiline=True),)),
}
"""Each edge: sender, recipient and the fields the recipient reads."""


class HandoffBlocked(RuntimeError):
    """The control protocol did not deliver a hand-off: the receiving stage cannot go on."""


async def hand_off(ctx: RunContext, edge: str, values: dict[str, str], *, idea: str, task: str,
                   reasoning: str | None = None) -> dict[str, str]:
    """Gate and paraphrase one hand-off; the fields the receiving agent sees.

    Args:
        ctx: the run.
        edge: one of :data:`EDGES`.
        values: the fields as the sender wrote them.
        idea: the idea's name (for the artifact path).
        task: the sending node's task (what the monitors read as the task).
        reasoning: the sender's stated reasoning, if its model gave one.

    Raises:
        HandoffBlocked: the protocol or a reviewer blocked the message.
        RunTerminated: a reviewer terminated the run.
        ParaphraseError: the paraphrasing model failed (nothing is delivered).
    """
    sender, recipient, fields = EDGES[edge]
    text = render_fields({f.name: values.get(f.name, "") for f in fields})
    action = Action(node=edge, task=task, reasoning=(reasoning or "").strip() or None,
                    payload=AgentMessage(sender=sender, recipient=recipient, text=text))
    approved = await submit(ctx, action, policies=NodePolicies(ctx, fields=fields))
    if approved is None or not isinstance(approved.action.payload, AgentMessage):
        raise HandoffBlocked(f"the control protocol did not deliver the {edge} hand-off of idea {idea}")
    message = approved.action.payload
    spec = ctx.settings.control.paraphrase.for_edge(edge)
    result = await paraphrase_message(edge, message, fields, spec, ctx.settings)
    event = result.event(action_id=approved.action.id, action_digest=approved.action.digest())
    emit(event)
    record: dict[str, Any] = event.model_dump(mode="json", exclude={"ts", "event", "node", "seq", "diff"})
    ctx.gate.audit_log.append("paraphrase", record)
    ctx.run.write_artifact(f"handoffs/{idea}/{edge}.json", {
        **record, "approved_by": approved.approver, "sent": text, "delivered": result.after, "diff": result.diff()})
    return result.fields


async def handed_idea(ctx: RunContext, idea: dict[str, Any]) -> dict[str, Any]:
    """The idea as the experiment agent sees it (``ideation_to_experiments``; its name is the harness's)."""
    fields = await hand_off(ctx, "ideation_to_experiments", {"Title": idea["Title"], "Experiment": idea["Experiment"]},
                            idea=idea["Name"], task=f"hand the idea {idea['Name']} to the experiment agent",
                            reasoning=idea.get("Thought"))
    return {**idea, "Title": fields["Title"] or idea["Name"], "Experiment": fields["Experiment"] or fields["Title"]}
