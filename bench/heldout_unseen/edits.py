"""Plant helpers (where and how a side task goes into a file) and the template registry."""
from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------
# placement helpers used by the templates
# --------------------------------------------------------------------------------------------

def L(s: str) -> list[str]:
    return s.splitlines(keepends=True)


def closest(cands: list[int], near: list[int]) -> int | None:
    if not cands:
        return None
    if not near:
        return cands[len(cands) // 2]
    return min(cands, key=lambda i: (min(abs(i - n) for n in near), i))


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def reindent(text: str, n: int) -> str:
    return "".join((" " * n + ln) if ln.strip() else ln for ln in L(text))


def sub_nearest(content: str, pattern: str, repl, near: list[int], flags=re.M) -> str | None:
    """Replace the match of ``pattern`` nearest to the commit's own change (one match only)."""
    matches = list(re.finditer(pattern, content, flags))
    if not matches:
        return None
    line_of = lambda m: content.count("\n", 0, m.start())  # noqa: E731
    m = min(matches, key=lambda m: (min((abs(line_of(m) - n) for n in near), default=0), m.start()))
    new = m.expand(repl) if isinstance(repl, str) else repl(m)
    out = content[: m.start()] + new + content[m.end():]
    return out if out != content else None


# Terraform ---------------------------------------------------------------------------------

def tf_insert(content: str, block: str, near: list[int]) -> str | None:
    lines = L(content)
    if not content.endswith("\n"):
        return None
    cands = [i for i in range(1, len(lines) + 1)
             if lines[i - 1] == "}\n" and (i == len(lines) or lines[i].strip() == "")]
    a = closest(cands, near)
    if a is None:
        return None
    return "".join(lines[:a] + ["\n"] + L(block) + lines[a:])


def tf_block(content: str, header: str) -> tuple[int, int, str] | None:
    """(start, end, name) of the first top-level block whose opening line matches ``header``."""
    lines = L(content)
    for i, ln in enumerate(lines):
        m = re.match(header, ln)
        if m:
            for j in range(i + 1, len(lines)):
                if lines[j] == "}\n":
                    return i, j, m.group(1)
    return None


def tf_resource(content: str, rtype: str) -> dict | None:
    """A resource of type ``rtype`` in the file: name, the count line to copy, and how to reference it."""
    found = tf_block(content, rf'^resource "{rtype}" "(\w+)" \{{')
    if not found:
        return None
    i, j, name = found
    body = L(content)[i + 1: j]
    count = next((ln.strip()[len("count"):].lstrip(" =").rstrip() for ln in body
                  if re.match(r"^  count\s*=", ln)), None)
    if any(re.match(r"^  for_each\s*=", ln) for ln in body):
        return None
    idx = (".0" if tf_legacy(content) else "[0]") if count else ""
    return {"name": name, "count": count, "ref": f"{rtype}.{name}{idx}"}


def tf_legacy(content: str) -> bool:
    """Terraform 0.11-style file: every expression is a "${...}" string interpolation."""
    return content.count('"${') >= 2 and not re.search(
        r"^\s*\w+\s*=\s*(var|local|data|module|aws_\w+)\.", content, re.M)


def tfx(content: str, expr: str) -> str:
    """An expression written the way the file writes them (bare, or "${...}" in 0.11-era files)."""
    return f'"${{{expr}}}"' if tf_legacy(content) else expr


def tf_policy(content: str, statement_json: str, statement_hcl: str) -> str:
    """``policy = ...`` as a jsonencode() object, or as a heredoc JSON document in 0.11-era files."""
    if tf_legacy(content):
        return f"  policy = <<EOF\n{statement_json}EOF\n"
    return f"  policy = jsonencode({statement_hcl})\n"


def count_line(r: dict) -> str:
    return f"  count = {r['count']}\n\n" if r["count"] else ""


def partition(content: str) -> str:
    return "${data.aws_partition.current.partition}" if "data.aws_partition.current" in content else "aws"


# YAML ---------------------------------------------------------------------------------------

def is_tasks_file(path: str) -> bool:
    return bool(re.search(r"(^|/)tasks/[^/]+\.ya?ml$", path))


def is_workflow(path: str) -> bool:
    return bool(re.match(r"^\.github/workflows/[^/]+\.ya?ml$", path))


def fqcn(content: str, module: str, collection: str = "ansible.builtin") -> str:
    return f"{collection}.{module}" if "ansible.builtin." in content else module


def yaml_unit(content: str) -> int:
    """Indentation unit of a tasks file (2 or 4)."""
    lines = L(content)
    for i, ln in enumerate(lines[:-1]):
        if re.match(r"^- \w", ln):
            nxt = lines[i + 1]
            if nxt.strip() and not nxt.startswith("-"):
                return 4 if indent_of(nxt) >= 4 else 2
    return 2


def tasks_insert(content: str, task: str, near: list[int]) -> str | None:
    """Insert a top-level task (written with a 2-space unit) before a task near the change, or at the end."""
    if not content.endswith("\n"):
        return None
    lines = L(content)
    starts = [i for i, ln in enumerate(lines) if re.match(r"^- (name|[\w.]+):", ln)]
    if not starts:
        return None
    unit = yaml_unit(content)
    if unit != 2:
        task = "".join(re.sub(r"^( +)", lambda m: " " * (len(m.group(1)) * unit // 2), ln) for ln in L(task))
    spaced = any(lines[i - 1].strip() == "" for i in starts[1:]) if len(starts) > 1 else True
    cands = starts[1:] + [len(lines)] if len(starts) > 1 else [len(lines)]
    a = closest(cands, near)
    if a == len(lines):
        ins = (["\n"] if spaced and lines[-1].strip() else []) + L(task)
    else:
        # insert before a task; keep any comment lines that belong to it
        while a > 0 and lines[a - 1].lstrip().startswith("#"):
            a -= 1
        ins = L(task) + (["\n"] if spaced else [])
    return "".join(lines[:a] + ins + lines[a:])


def steps_insert(content: str, step: str, near: list[int]) -> str | None:
    """Insert a GitHub Actions step (written at indent 0) into the steps list nearest the change."""
    lines = L(content)
    cands, dash = [], {}
    for i, ln in enumerate(lines):
        m = re.match(r"^(\s*)steps:\s*$", ln)
        if not m:
            continue
        s = len(m.group(1))
        j = next((k for k in range(i + 1, len(lines)) if lines[k].strip() and not lines[k].lstrip().startswith("#")), None)
        if j is None or not lines[j].lstrip().startswith("- "):
            continue
        d = indent_of(lines[j])
        items, last = [], j
        for k in range(j, len(lines)):
            t = lines[k]
            if not t.strip() or t.lstrip().startswith("#"):
                continue
            if indent_of(t) <= s or indent_of(t) < d:
                break
            if indent_of(t) == d and t.lstrip().startswith("- "):
                items.append(k)
            last = k
        spaced = any(lines[k - 1].strip() == "" for k in items[1:])
        for k in items[1:] + [last + 1]:
            cands.append(k)
            dash[k] = (d, spaced, k == last + 1)
    a = closest(cands, near)
    if a is None:
        return None
    d, spaced, at_end = dash[a]
    text = reindent(step, d)
    if at_end:
        ins = (["\n"] if spaced else []) + L(text)
    else:
        ins = L(text) + (["\n"] if spaced else [])
    return "".join(lines[:a] + ins + lines[a:])


# Shell / config -------------------------------------------------------------------------------

def after_line(content: str, pattern: str, text: str, near: list[int]) -> str | None:
    """Insert ``text`` after a line matching ``pattern`` (nearest the change), never inside a continuation."""
    lines = L(content)
    cands = [i + 1 for i, ln in enumerate(lines) if re.match(pattern, ln) and not ln.rstrip().endswith("\\")]
    a = closest(cands, near)
    if a is None:
        return None
    return "".join(lines[:a] + L(text) + lines[a:])


def jinja_blank_anchor(content: str, text: str, near: list[int]) -> str | None:
    """Insert ``text`` after a blank line that is outside any {% if/for %} block."""
    lines = L(content)
    depth, cands = 0, []
    for i, ln in enumerate(lines):
        depth += len(re.findall(r"\{%-?\s*(if|for)\b", ln)) - len(re.findall(r"\{%-?\s*end(if|for)\b", ln))
        if depth == 0 and ln.strip() == "" and i + 1 < len(lines) and lines[i + 1].strip() and i > 2:
            cands.append(i + 1)
    a = closest(cands, near)
    if a is None:
        return None
    return "".join(lines[:a] + L(text) + ["\n"] + lines[a:])


def append_end(content: str, text: str) -> str | None:
    if not content.endswith("\n"):
        return None
    return content + ("\n" if content.strip() and not content.endswith("\n\n") else "") + text


# --------------------------------------------------------------------------------------------
# side-task templates (hand-written; see README.md for how they were authored)
# --------------------------------------------------------------------------------------------

TEMPLATES: list[dict] = []


def template(tid: str, cls: str, subtlety: str, kind: str = "hunk", when=None):
    """Register a side-task template.  ``when(path)`` filters the files a hunk template may touch."""
    def deco(fn):
        TEMPLATES.append({"id": tid, "cls": cls, "subtlety": subtlety, "kind": kind, "when": when, "fn": fn})
        return fn
    return deco


def _tf(path: str) -> bool:
    return path.endswith(".tf")


def _bash_tpl(path: str) -> bool:
    return path.endswith((".tpl", ".sh"))


