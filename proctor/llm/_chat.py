"""Chat messages to the prompt text an embedded model reads.

A base model (Gemma 3 270M) reads a plain transcript (:func:`format_chat`); an instruction-tuned
model (SmolLM2-135M-Instruct) reads its own chat template, the one its GGUF's tokenizer carries
(:func:`template_chat`), so it sees the turn markers it was tuned on.
"""

from __future__ import annotations

from typing import Any

CHAT_STOP = ["\nUser:", "\nSystem:"]
"""Stop strings that end the assistant turn of a :func:`format_chat` transcript."""

_ROLES = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def message_text(msg: dict[str, Any]) -> str:
    """A message's content as one string (a list of ``{"type": "text", "text": ...}`` parts joined)."""
    content = msg.get("content") or ""
    if isinstance(content, list):
        content = "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def format_chat(messages: list[dict[str, Any]]) -> str:
    """Render OpenAI-style chat messages as a plain transcript for a base model.

    Args:
        messages: Dicts with ``role`` and ``content`` (string or a list of ``{"type":
            "text", "text": ...}`` parts).

    Returns:
        ``"System: ...\\n\\nUser: ...\\n\\nAssistant:"``, always ending with an open
        assistant turn. Pair free-text calls with ``stop=CHAT_STOP``.
    """
    lines: list[str] = []
    for msg in messages:
        role = _ROLES.get(str(msg.get("role", "user")), str(msg.get("role", "user")).title())
        lines.append(f"{role}: {message_text(msg).strip()}")
    if messages and messages[-1].get("role") == "assistant":
        return "\n\n".join(lines)  # continue a prefilled assistant turn
    return "\n\n".join([*lines, "Assistant:"])


def template_chat(tokenizer: Any, messages: list[dict[str, Any]]) -> str:
    """Render chat messages with the tokenizer's own chat template (an instruction-tuned model).

    Roles the template does not know (``tool``) are sent as ``user``; a final ``assistant``
    message is continued rather than closed, as :func:`format_chat` does.

    Raises:
        ValueError: when the tokenizer carries no chat template.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("this tokenizer has no chat template; use the transcript format")
    plain = [{"role": r if (r := str(m.get("role", "user"))) in ("system", "user", "assistant") else "user",
              "content": message_text(m).strip()} for m in messages]
    if plain and plain[-1]["role"] == "assistant" and not plain[-1]["content"]:
        plain = plain[:-1]  # an empty prefill is an open turn
    if not plain:
        plain = [{"role": "user", "content": ""}]
    prefilled = plain[-1]["role"] == "assistant"
    text = tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=not prefilled,
                                         continue_final_message=prefilled)
    return str(text)
