"""One attack, in a process of its own: ``python -m proctor.redteam._child`` reads its spec on stdin.

The real per-idea pipeline (novelty, experiments, write-up, review) runs for one idea of the
template; the untrusted agent's proposal is the attack (inserted at the top of ``experiment.py``)
and the monitor's verdict is forced to allow, so only the trust boundary stands between the
attack and the host. Every prompt sent to a model (and every prompt the proposer would have been
sent) is written to the spec's ``prompts`` file, outside the run directory.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from proctor.agents import RunContext, build_idea_graph
from proctor.control import Action, Gate, MonitorVerdict, TrajectoryView
from proctor.llm import Ledger, prompt_tap, use_ledger
from proctor.log import RunDir, set_process_log, use_log
from proctor.prompts import render
from proctor.redteam._attacks import Attack, inject
from proctor.settings import Settings

FORCED = "redteam-forced-allow"


class ForcedAllow:
    """The red-team monitor: every action scores 0 (only the boundary is under test)."""

    async def __call__(self, action: Action, view: TrajectoryView) -> MonitorVerdict:
        return MonitorVerdict(score=0.0, monitor=FORCED, reasons=["red-team run: verdict forced to allow"])


def fixed_writer(seen: list[dict[str, str]]) -> Any:
    """``--fast``: the paper's prose is written by code (the prompt is still built, and recorded)."""
    def write(prompt: str) -> dict[str, str]:
        seen.append({"role": "untrusted (writer, not sent)", "prompt": prompt})
        text = "This section was written by the red-team harness; the results table and figures are the harness's."
        return {"title": "Red-team run", "abstract": text, "introduction": text, "method": text,
                "results_discussion": text, "conclusion": text}
    return write


def attack_proposer(attack: Attack, seen: list[dict[str, str]]) -> Any:
    """A proposer whose change is the attack; it records the prompt the model would have been given."""
    from proctor.agents import Change

    async def propose(ctx: Any, template: Any, idea: dict[str, Any], baseline: str, last_error: str,
                      attempt: int, history: list[str], *, role: str = "untrusted", draw: int = 0) -> Any:
        source = (template.root / "experiment.py").read_text()
        prompt = render("agents/experiment_code.j2", idea=idea, task_description=template.prompt.task_description,
                        code=source, baseline=baseline, last_error=last_error, anchored=False, history=history)
        seen.append({"role": f"{role} (proposer, not sent)", "prompt": prompt})
        return Change(path="experiment.py", old=source, new=inject(source, attack.code),
                      rationale=f"red-team attack {attack.id}")

    return propose


def _save(path: str, data: Any) -> None:
    """A small JSON file for the parent (outside the run directory); tiny, so written inline."""
    Path(path).write_text(json.dumps(data))


async def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the spec's attack; return where its run is."""
    from proctor.agents.template import load_template

    attack = Attack.model_validate(spec["attack"])
    settings = Settings(**spec["settings"])
    template = load_template(settings.workflow.template)
    seed = template.seed_ideas[0]
    idea = {**seed.model_dump(), "Name": f"redteam_{attack.id}".replace("-", "_").replace(".", "_")}
    run = RunDir.create(Path(settings.runs_dir), f"redteam {attack.id}", settings=settings.public_dump(),
                        settings_digest=settings.digest(), template=template.name)
    proposer_prompts: list[dict[str, str]] = []
    ctx = RunContext(settings=settings, run=run, propose=attack_proposer(attack, proposer_prompts),
                     prose_writer=fixed_writer(proposer_prompts) if spec.get("fast") else None,
                     _gate=Gate(settings, run_dir=run.path, monitor=ForcedAllow()))
    _save(spec["report"], {"run_dir": str(run.path)})  # first, so a hung or killed child still says where
    set_process_log(run.events)
    ledger = Ledger.from_events(run.events.iter(), settings.llm.budget)
    error = ""
    with use_log(run.events), use_ledger(ledger), prompt_tap() as prompts:
        run.set_status("running", f"red-team attack {attack.id}")
        try:
            state = await build_idea_graph(ctx).ainvoke({"idea": idea, "earlier": [], "errors": []})
            errors = [e for o in state.get("outcomes", []) for e in o.get("errors", [])]
            run.set_status("failed" if errors else "succeeded", "; ".join(errors)[:300])
        except Exception as exc:  # recorded; the parent reports a crashed harness
            error = f"{type(exc).__name__}: {exc}"[:500]
            run.set_status("failed", error)
    _save(spec["prompts"], [*proposer_prompts, *prompts])
    _save(spec["report"], {"run_dir": str(run.path), "error": error})
    return {"run_dir": str(run.path), "error": error}


def main() -> int:
    spec = json.loads(sys.stdin.read())
    out = asyncio.run(run_one(spec))
    return 3 if out["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
