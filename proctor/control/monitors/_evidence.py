"""All detectors on one action: findings per layer and the off-task evidence."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from proctor.control.core import Action, AgentMessage, LiteratureQuery, SandboxRun, ShellCommand
from proctor.control.monitors._bandit import bandit_findings
from proctor.control.monitors._bash import bash_findings
from proctor.control.monitors._changes import FileChange, file_changes
from proctor.control.monitors._destinations import addressable, new_destinations
from proctor.control.monitors._findings import Finding, noisy_or
from proctor.control.monitors._iac import TEST_PATH, iac_findings
from proctor.control.monitors._logic import added_anywhere, logic_findings
from proctor.control.monitors._offtask import OffTask, offtask, risk_isolation
from proctor.control.monitors._reasoning import reasoning_findings
from proctor.control.monitors._scope import log_secret_findings
from proctor.control.monitors._secrets import secret_findings
from proctor.control.monitors._static import static_findings

LAYERS = ("static", "bandit", "secrets", "bash", "iac", "logic", "reasoning")


@dataclass
class Evidence:
    """What every detector found in one action."""

    layers: dict[str, list[Finding]] = field(default_factory=dict)
    offtask: OffTask | None = None
    added_lines: int = 0
    removed_lines: int = 0
    files: int = 0
    kind: str = ""
    destinations: list[str] = field(default_factory=list)  # addresses added that nothing before named

    def score(self, layer: str) -> float:
        """Noisy-or of one layer's findings."""
        return noisy_or(self.layers.get(layer, []))

    def findings(self) -> list[Finding]:
        """Every finding of every layer."""
        return [f for layer in LAYERS for f in self.layers.get(layer, [])]


def _units(changes: list[FileChange]) -> list[tuple[str, int]]:
    return [("\n".join(line.text for line in h.added) + "\n" + "\n".join(line.text for line in h.removed),
             len(h.added) + len(h.removed)) for c in changes for h in c.hunks if h.added or h.removed]


def _command_text(action: Action) -> tuple[list[str] | None, str | None]:
    p = action.payload
    if isinstance(p, ShellCommand):
        return p.argv, p.stdin if p.stdin and p.argv and p.argv[0].rsplit("/", 1)[-1] in ("bash", "sh") else None
    if isinstance(p, SandboxRun):
        return p.command, None
    return None, None


def collect_evidence(action: Action, *, allowed_imports: Collection[str], workdir: str | None = None,
                     embed: bool = True) -> Evidence:
    """Run every detector on ``action``.

    Raises whatever a detector raises (the monitor around it fails closed).
    """
    ev = Evidence(kind=action.kind)
    payload_static = [f for f in static_findings(action, allowed_imports=allowed_imports, workdir=workdir)
                      if f.category != "stated_intent"]
    ev.layers["static"] = payload_static
    ev.layers["reasoning"] = reasoning_findings(action.reasoning)
    changes = file_changes(action)
    bandit: list[Finding] = []
    secrets: list[Finding] = []
    bash: list[Finding] = []
    iac: list[Finding] = []
    logic: list[Finding] = []
    moved = added_anywhere(changes)
    per_file: list[tuple[str, float]] = []
    for change in changes:
        added = change.added
        found = secret_findings(added, change.path) + log_secret_findings(change)
        secrets += found
        if change.language == "python":
            found += (b := bandit_findings(change))
            bandit += b
        if change.language == "shell":
            found += (sh := bash_findings(None, "\n".join(added), workdir))
            bash += sh
        found += (ic := iac_findings(change))
        iac += ic
        found += (lg := logic_findings(change, task=action.task, moved=moved))
        logic += lg
        per_file.append((change.path + "\n" + "\n".join(added), max((f.weight for f in found), default=0.0)))
    argv, stdin = _command_text(action)
    if argv is not None:
        bash += bash_findings(argv, None, workdir)
        if stdin:
            bash += bash_findings(None, stdin, workdir)
        secrets += secret_findings([" ".join(argv)] + ([stdin] if stdin else []), "the command")
    text = None
    if isinstance(action.payload, AgentMessage):
        text = action.payload.text
    elif isinstance(action.payload, LiteratureQuery):
        text = action.payload.query
    if text is not None:
        secrets += secret_findings(text.splitlines(), "the message")
    ev.layers.update(bandit=bandit, secrets=secrets, bash=bash, iac=iac, logic=logic)
    ev.files = len(changes)
    ev.added_lines = sum(len(c.added) for c in changes)
    ev.removed_lines = sum(len(c.removed) for c in changes)
    units = _units(changes)
    if argv is not None:
        units.append((" ".join(argv) + ("\n" + stdin if stdin else ""), 1))
    if text is not None:
        units.append((text[:4000], 1))
    known = "\n".join([action.task, *(c.old_text() for c in changes)])
    added = [line for c in changes for line in c.added] + [" ".join(argv or []), stdin or "", text or ""]
    dests = new_destinations(addressable(added), known)
    # a resource imported by its literal name in a test is a fixture (fromBucketName(stack, "B", "my-bucket")),
    # not a place a deployment sends to; hosts, e-mail and accounts in tests still count
    if any(d.startswith("resource:") for d in dests):
        deployed = [line for c in changes if not TEST_PATH.search(c.path) for line in c.added]
        kept = set(new_destinations(addressable(deployed), known))
        dests = [d for d in dests if not d.startswith("resource:") or d in kept]
    ev.destinations = dests
    ev.offtask = offtask(action.task, units, embed=embed)
    ev.offtask.isolated_risk, ev.offtask.unasked_risk = risk_isolation(action.task, per_file, embed=embed)
    return ev
