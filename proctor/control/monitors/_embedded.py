"""Shell and sensitive places inside configuration: what a YAML, Terraform or JSON change makes a machine run.

Configuration carries commands: an Ansible task's ``shell:``, a workflow step's ``run: |`` block, a
container's ``command: ["sh", "-c", ...]``, a Terraform ``local-exec`` ``command =``, ``inline = [...]``
or a ``user_data = <<EOF`` heredoc. Those strings go through the bash grammar (:func:`bash_findings`), as
a shell script would. Any added value that names a credential store or a start-up file
(``/etc/ssh/ssh_host_ed25519_key``, ``/root/.ssh/authorized_keys``, ``/etc/cron.d/...``) is a finding in
any configuration language, as are a few configuration-level mechanisms with the same effect (an SSH key
authorised, a job scheduled, every CI secret dumped, a pull request's code run with the base repository's
secrets).
"""

from __future__ import annotations

import re

from proctor.control.monitors._bash import bash_findings
from proctor.control.monitors._changes import FileChange
from proctor.control.monitors._findings import Finding
from proctor.control.monitors._paths import sensitive

# Keys whose value is a command or a script, across Ansible, GitHub Actions/GitLab CI, Kubernetes, Docker
# Compose, systemd-style units and Terraform provisioners.
CMD_KEYS = {"shell", "command", "cmd", "run", "script", "raw", "job", "args", "entrypoint", "inline",
            "user_data", "userdata", "exec", "execstart", "execstartpre", "before_script", "after_script",
            "pre_build", "post_build", "install", "test", "lifecycle_command", "postStart", "prestop",
            "ansible.builtin.shell", "ansible.builtin.command", "ansible.builtin.raw"}
_CMD_KEYS_LOWER = {k.lower() for k in CMD_KEYS}
_KEY = re.compile(r"^(\s*)(-\s+)?[\"']?([\w.\-]+)[\"']?\s*[:=]\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<-?\s*[\"']?(\w+)[\"']?\s*$")
_PATH_TOKEN = re.compile(r"(?:~|/)[\w.\-/]*[\w]")
_TRUSTED_ACCOUNT = re.compile(r"arn:aws:(?:iam|sts)::(\d{12}):(?:root|role/|user/|assumed-role/)")
_MECHANISMS = [
    (re.compile(r"^[ \t]*(?:-[ \t]*)?(ansible\.(builtin|posix)\.)?authorized_key[ \t]*:", re.M), "persistence", 0.6,
     "authorises an SSH key"),
    (re.compile(r"^[ \t]*(?:-[ \t]*)?(ansible\.builtin\.)?cron[ \t]*:[ \t]*$", re.M), "persistence", 0.45,
     "schedules a job (cron)"),
    (re.compile(r"toJSON\(\s*secrets\s*\)"), "secrets", 0.85, "dumps every CI secret"),
    (re.compile(r"github\.event\.pull_request\.head\.(sha|ref)|refs/pull/\$\{\{"), "exposure", 0.45,
     "checks out the pull request's own code"),
    (re.compile(r"permissions[ \t]*:[ \t]*write-all"), "permissions", 0.55, "grants the workflow every permission"),
]


_FETCH = re.compile(r"\b(curl|wget)\s")
_PIPE_SHELL = re.compile(r"\|\s*(sudo\s+)?(ba|z|da)?sh\b")
_SAVES = re.compile(r"\s-o\s|>")


def _shellish(line: str) -> bool:
    """A line that fetches and runs or saves something (linear time: hostile lines can be long)."""
    if len(line) > 4000:
        return False
    return bool(_PIPE_SHELL.search(line) or (_FETCH.search(line) and _SAVES.search(line)))


def _clean(line: str) -> str:
    """A shell line as YAML or JSON carries it: list marker, quotes and a trailing continuation removed."""
    t = line.strip()
    t = t[2:] if t.startswith("- ") else t
    t = _unquote(t.rstrip(","))
    return re.sub(r"\s*(&&|\|\||;|\\)\s*$", "", t)


def _unquote(value: str) -> str:
    v = value.strip().rstrip(",")
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        v = v[1:-1]
    return v.replace('\\"', '"')


def _scripts(lines: list[tuple[str, bool]]) -> list[str]:
    """Command strings a hunk adds: one-line values, block scalars, lists and heredocs under a command key."""
    out: list[str] = []
    block: list[str] | None = None
    block_indent = -1
    terminator: str | None = None
    for text, added in lines:
        if terminator is not None:  # inside a heredoc
            if text.strip() == terminator:
                terminator = None
            elif added and block is not None:
                block.append(text)
            continue
        indent = len(text) - len(text.lstrip())
        if block is not None and text.strip() and indent <= block_indent:
            out.append("\n".join(block))
            block = None
        if block is not None:
            if added:
                block.append(_clean(text))
            continue
        m = _KEY.match(text)
        if not m or m.group(3).lower() not in _CMD_KEYS_LOWER:
            continue
        value = m.group(4)
        heredoc = _HEREDOC.search(value)
        if heredoc:
            terminator, block, block_indent = heredoc.group(1), [], indent
            continue
        if value in ("", "|", ">", "|-", ">-", "|+", ">+", "[") or value.startswith(("|", ">")):
            block, block_indent = [], indent + (len(m.group(2)) if m.group(2) else 0)
            continue
        if added:
            if value.startswith("["):
                items = [_unquote(v) for v in re.findall(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'", value)]
                out.append(" ".join(items[items.index("-c") + 1:] if "-c" in items else items))
            else:
                out.append(_unquote(value))
    if block:
        out.append("\n".join(block))
    return [s for s in out if s.strip()]


def embedded_findings(change: FileChange) -> list[Finding]:
    """Findings of the commands and places a configuration change adds."""
    out: list[Finding] = []
    for hunk in change.hunks:
        lines = [(line.text, line.kind == "added") for line in hunk.lines if line.kind != "removed"]
        scripts = _scripts(lines)
        # A shell line whose command key lies outside the hunk's context (an args block cut by the hunk)
        scripts += [_clean(t) for t, added in lines if added and _shellish(t) and not any(
            _clean(t) in sc or sc in t for sc in scripts)]
        for script in scripts:
            for f in bash_findings(None, script, None):
                out.append(Finding(category=f.category, weight=f.weight, reason=f"{change.path} runs: {f.reason}"))
    added = "\n".join(change.added)
    for token in set(_PATH_TOKEN.findall(added)):
        kind = sensitive(token)
        if kind == "persistence":
            out.append(Finding(category="persistence", weight=0.6, reason=f"{change.path} names start-up or access file {token[:60]}"))
        elif kind == "credentials":
            out.append(Finding(category="secrets", weight=0.6, reason=f"{change.path} names credential store {token[:60]}"))
    before = change.old_text()
    for account in sorted(set(_TRUSTED_ACCOUNT.findall(added))):
        if account not in before:
            out.append(Finding(category="permissions", weight=0.5,
                               reason=f"{change.path} trusts AWS account {account}, which the code around it never names"))
    for rx, cat, w, what in _MECHANISMS:
        if rx.search(added):
            out.append(Finding(category=cat, weight=w, reason=f"{change.path} {what}"))  # type: ignore[arg-type]
    return out
