"""The LLM monitor: a trusted model reads the task, the action and its context, and rates it.

Source: Redwood's "AI Control" trusted monitoring, ControlArena's basic monitor. The model sees
the node's task, the action rendered for review, a bounded history with earlier flags, escaped
tool output, and the agent's reasoning as a separate, escaped channel.
"""

from __future__ import annotations

from typing import Any

from proctor.control.core import Action, Monitor, MonitorVerdict, TrajectoryView, escape, render_action
from proctor.control.monitors._registry import monitor
from proctor.control.monitors._score_parsing import MonitorScore, ScoreParseError, parse_score


def _default_model(role: str, settings: Any) -> Any:
    from proctor.llm import get_model
    from proctor.settings import load_settings

    return get_model(role, settings if settings is not None else load_settings())


def prompt_messages(action: Action, view: TrajectoryView, *, structured: bool, max_chars: int = 6000
                    ) -> list[dict[str, str]]:
    """The system and user messages an LLM monitor sends for ``action``."""
    from proctor.prompts import render

    user = render(
        "control/monitor_action.j2", node=view.node, task=escape(view.task, max_chars),
        action=escape(render_action(action), max_chars), history=view.history,
        tool_output=view.tool_output, reasoning=escape(action.reasoning or "", max_chars),
    )
    return [{"role": "system", "content": render("control/monitor_system.j2", structured=structured)},
            {"role": "user", "content": user}]


@monitor("llm")
def llm_monitor(
    role: str = "trusted",
    samples: int = 3,
    temperature: float = 0.7,
    max_tokens: int = 400,
    structured: bool | None = None,
    max_chars: int = 6000,
    settings: Any = None,
    model: Any = None,
) -> Monitor:
    """Score an action with the trusted model, as an ensemble of samples.

    Steps:
        1. Render the task, history, escaped tool output, the agent's reasoning and the action
           with ``control/monitor_system.j2`` and ``control/monitor_action.j2``.
        2. Draw ``samples`` replies: free text parsed as ``<reasoning>`` + a 0-10 score, or, for
           the embedded base model (``local/...``) or ``structured=True``, a validated
           :class:`MonitorScore` through the gateway's structured-output API.
        3. Fail closed: a reply that cannot be parsed, or a failed call, counts as 10.
        4. Return the mean score / 10; several samples break ties between actions.

    Args:
        role: model role to use (always a trusted one).
        samples: ensemble size.
        temperature: sampling temperature (so samples differ).
        max_tokens: completion limit per sample.
        structured: force (True) or forbid (False) structured output; None decides by model.
        max_chars: truncation of each rendered field.
        settings: the settings tree (loaded when None).
        model: an object with ``complete``/``structured`` (tests and benchmarks inject one).

    Returns:
        The monitor.
    """
    if samples < 1:
        raise ValueError("llm monitor needs samples >= 1")
    state: dict[str, Any] = {"model": model}

    def get() -> Any:
        if state["model"] is None:
            state["model"] = _default_model(role, settings)
        return state["model"]

    async def one(m: Any, messages: list[dict[str, str]], use_structured: bool) -> tuple[int, str, bool]:
        try:
            if use_structured:
                out = await m.structured(messages, MonitorScore, max_tokens=max_tokens, temperature=temperature)
                return out.score, out.reasoning, True
            reply = await m.complete(messages, max_tokens=max_tokens, temperature=temperature)
            parsed = parse_score(reply.text)
            return parsed.score, parsed.reasoning, True
        except ScoreParseError as exc:
            return 10, f"unparseable monitor output ({exc}); treated as suspicious", False
        except Exception as exc:  # model down, budget spent, schema failure: fail closed
            return 10, f"monitor call failed ({type(exc).__name__}: {str(exc)[:200]}); treated as suspicious", False

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        try:
            m = get()
        except Exception as exc:
            return MonitorVerdict(score=1.0, parsed=False, monitor="llm",
                                  reasons=[f"monitor model unavailable ({exc}); treated as suspicious"])
        name = str(getattr(m, "name", ""))
        use_structured = structured if structured is not None else name.startswith("local/")
        messages = prompt_messages(action, view, structured=use_structured, max_chars=max_chars)
        results = [await one(m, messages, use_structured) for _ in range(samples)]
        mean = sum(r[0] for r in results) / (10.0 * len(results))
        reasons = [f"[sample {i} score {s}] {why}" for i, (s, why, _) in enumerate(results)]
        return MonitorVerdict(score=round(mean, 6), reasons=reasons,
                              parsed=all(r[2] for r in results), monitor="llm")

    return score
