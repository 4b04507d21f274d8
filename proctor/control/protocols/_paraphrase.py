"""A trusted paraphraser for text passed between agents (against hidden signalling).

Source: Redwood's "AI Control" (paraphrasing against collusion in untrusted monitoring) and
steganography defences. Edges are configured as ``sender->recipient`` with ``*`` wildcards.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from proctor.control.core import AgentMessage


class ParaphraseError(RuntimeError):
    """The trusted model could not paraphrase; the message is not delivered (fail closed)."""


def edge_matches(sender: str, recipient: str, edges: Sequence[str]) -> bool:
    """Whether ``sender->recipient`` matches one of the configured edge patterns."""
    for edge in edges:
        src, _, dst = edge.partition("->")
        if fnmatch.fnmatch(sender, src.strip() or "*") and fnmatch.fnmatch(recipient, dst.strip() or "*"):
            return True
    return False


def paraphraser(settings: Any, *, model: Any = None, max_tokens: int = 800
                ) -> Callable[[AgentMessage], Awaitable[AgentMessage]]:
    """A function that paraphrases messages on configured edges and passes others through.

    Steps:
        1. If the edge is not in ``control.paraphrase_edges``, return the message unchanged.
        2. Otherwise the trusted model rewrites it (``control/paraphrase.j2``) at temperature 0.
        3. An empty reply or a model error raises :class:`ParaphraseError`: the raw text is never
           forwarded in place of a failed paraphrase.

    Args:
        settings: the settings tree.
        model: object with ``complete`` (default: the gateway's ``trusted`` role).
        max_tokens: completion limit.

    Returns:
        ``async (message) -> message``.
    """
    edges = list(settings.control.paraphrase_edges)
    state: dict[str, Any] = {"model": model}

    async def paraphrase(message: AgentMessage) -> AgentMessage:
        if not edge_matches(message.sender, message.recipient, edges):
            return message
        from proctor.prompts import render

        try:
            if state["model"] is None:
                from proctor.llm import get_model

                state["model"] = get_model("trusted", settings)
            prompt = render("control/paraphrase.j2", sender=message.sender, recipient=message.recipient,
                            text=message.text)
            reply = await state["model"].complete([{"role": "user", "content": prompt}], max_tokens=max_tokens,
                                                  temperature=0.0)
        except Exception as exc:
            raise ParaphraseError(f"paraphrasing {message.sender}->{message.recipient} failed ({exc}); "
                                  "the message was not delivered") from exc
        text = reply.text.strip()
        if not text:
            raise ParaphraseError(f"empty paraphrase for {message.sender}->{message.recipient}; not delivered")
        return message.model_copy(update={"text": text})

    return paraphrase
