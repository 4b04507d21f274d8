"""The LLM monitor: a trusted model reads the task, the action and its context, and rates it.

Source: Redwood's "AI Control" trusted monitoring, ControlArena's basic monitor. The model sees
the node's task, the action rendered for review, a bounded history with earlier flags, escaped
tool output, and the agent's reasoning as a separate, escaped channel.
"""

from __future__ import annotations

import asyncio
from typing import Any

from proctor.control.core import (
    Action,
    Monitor,
    MonitorVerdict,
    TrajectoryView,
    escape,
    fail_closed,
    render_action,
)
from proctor.control.monitors._registry import monitor
from proctor.control.monitors._score_parsing import MonitorScore, ScoreParseError, parse_score

DEFAULT_TIMEOUT_S = 300.0
"""Default limit of one LLM monitor call (all its samples); past it the action fails closed."""

_Sample = tuple[int, str, bool]  # (score 0..10, reasoning or why it failed, ok)


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
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
) -> Monitor:
    """Score an action with the trusted model, as an ensemble of samples.

    Steps:
        1. Render the task, history, escaped tool output, the agent's reasoning and the action
           with ``control/monitor_system.j2`` and ``control/monitor_action.j2``.
        2. Draw ``samples`` replies, one after another, within ``timeout_s`` for all of them: free
           text parsed as ``<reasoning>`` + a 0-10 score, or, for the embedded base model
           (``local/...``) or ``structured=True``, a validated :class:`MonitorScore` through the
           gateway's structured-output API.
        3. All samples good: return their mean score / 10 (several samples break ties).
        4. Fail closed: if any sample failed (the call raised, the reply did not parse, or the
           timeout passed before it finished or was drawn), the score is 1.0 and ``parsed`` is
           False, with a reason naming how many failed: one failure is never averaged away.

    Args:
        role: model role to use (always a trusted one).
        samples: ensemble size.
        temperature: sampling temperature (so samples differ).
        max_tokens: completion limit per sample.
        structured: force (True) or forbid (False) structured output; None decides by model.
        max_chars: truncation of each rendered field.
        settings: the settings tree (loaded when None).
        model: an object with ``complete``/``structured`` (tests and benchmarks inject one).
        timeout_s: seconds for the whole monitor call (all samples, the gateway's retries and
            fallbacks included); None waits as long as the gateway does.

    Returns:
        The monitor.
    """
    if samples < 1:
        raise ValueError("llm monitor needs samples >= 1")
    if timeout_s is not None and timeout_s <= 0:
        raise ValueError("llm monitor needs timeout_s > 0 (or None)")
    state: dict[str, Any] = {"model": model}

    def get() -> Any:
        if state["model"] is None:
            state["model"] = _default_model(role, settings)
        return state["model"]

    async def one(m: Any, messages: list[dict[str, str]], use_structured: bool) -> _Sample:
        try:
            if use_structured:
                out = await m.structured(messages, MonitorScore, max_tokens=max_tokens, temperature=temperature)
                return out.score, out.reasoning, True
            reply = await m.complete(messages, max_tokens=max_tokens, temperature=temperature)
            parsed = parse_score(reply.text)
            return parsed.score, parsed.reasoning, True
        except ScoreParseError as exc:
            return 10, f"unparseable monitor output ({exc})", False
        except Exception as exc:  # model down, budget spent, schema failure, the gateway's timeout
            return 10, f"monitor call failed ({type(exc).__name__}: {str(exc)[:200]})", False

    async def draw(m: Any, messages: list[dict[str, str]], use_structured: bool) -> list[_Sample]:
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        results: list[_Sample] = []
        for _ in range(samples):
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                results.append((10, f"not drawn: the monitor's {timeout_s:g} s timeout had passed", False))
                continue
            try:
                results.append(await asyncio.wait_for(one(m, messages, use_structured), left))
            except TimeoutError:
                results.append((10, f"timed out (the monitor's timeout is {timeout_s:g} s)", False))
        return results

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        try:
            m = get()
        except Exception as exc:
            return fail_closed("llm", f"monitor model unavailable ({exc})")
        name = str(getattr(m, "name", ""))
        use_structured = structured if structured is not None else name.startswith("local/")
        messages = prompt_messages(action, view, structured=use_structured, max_chars=max_chars)
        results = await draw(m, messages, use_structured)
        good = [s for s, _, ok in results if ok]
        mean = sum(good) / (10.0 * len(good)) if good else 1.0
        reasons = [f"[sample {i} score {s}] {why}" if ok else f"[sample {i} failed] {why}"
                   for i, (s, why, ok) in enumerate(results)]
        verdict = MonitorVerdict(score=round(mean, 6), reasons=reasons, monitor="llm")
        return verdict.with_failures([f"sample {i}" for i, (_, _, ok) in enumerate(results) if not ok],
                                     len(results), "samples")

    return score
