"""Parameters of any AI Scientist ``experiment.py``, inferred from its code.

An AI Scientist template has no typed knobs: its hyperparameters are module constants
(``LEARNING_RATE = 0.1``), literals in the ``__main__`` block or a function (``init_state =
np.array([3000, 0, 5, 0])``), literal arguments of calls (``odeint(..., args=(0.001, 14, 7))``,
``AdamW(lr=1e-3)``) and argparse defaults (``--learning_rate``, ``default=3e-4``).
:func:`infer_parameters` finds each of them as a typed :class:`Parameter` with a stable readable name,
bounds from its value, and the exact source span of its literal (from ``ast`` positions), so a small
model can pick new values under a typed schema (:func:`parameters_schema`) and the harness writes them
as the code edit (:func:`set_parameters`); the diff the monitors read holds every changed line.

Left out: what belongs to the harness (seeds, output directories, devices, threads, workers), string
literals other than argparse ``choices``, ``0``/``1`` positional arguments (indices, starts, steps),
literals inside arithmetic, subscripts, comparisons and lambdas, calls that only print, save, reshape or
seed, and variables reassigned in their scope (counters and accumulators).
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from proctor.agents._code_edits import EditError
from proctor.agents._text import clipped

ParamType = Literal["int", "float", "choice", "bool"]
Origin = Literal["constant", "argparse", "main", "function"]
MAX_PARAMETERS = 32
_HARNESS_WORDS = frozenset({"seed", "seeds", "device", "devices", "thread", "threads", "workers", "worker",
                            "gpu", "gpus", "cuda", "out", "outdir", "verbose", "verbosity"})
_SKIP_CALLS = frozenset({
    "print", "open", "range", "enumerate", "len", "zip", "isinstance", "getattr", "setattr", "hasattr", "format",
    "join", "makedirs", "mkdir", "dump", "dumps", "load", "loads", "save", "savez", "savetxt", "seed", "manual_seed",
    "manual_seed_all", "set_seed", "device", "to", "cuda", "cpu", "item", "tolist", "reshape", "view", "permute",
    "transpose", "unsqueeze", "squeeze", "flatten", "sum", "mean", "max", "min", "argmax", "argmin", "std", "var",
    "cat", "concatenate", "stack", "split", "chunk", "round", "int", "float", "str", "bool", "append", "extend",
    "get", "pop", "index", "sleep", "exit", "set_num_threads", "rearrange", "repeat", "expand", "narrow", "gather",
    "topk", "sort", "argsort", "plot", "figure", "subplots", "subplot", "savefig", "legend", "xlabel", "ylabel",
    "title", "randn", "rand", "zeros", "ones", "empty", "eye", "full", "scatter", "hist", "imshow", "text", "fill_between", "percentile", "quantile", "write", "info",
    "debug", "warning", "error", "Path", "parse_args", "ArgumentParser", "time", "perf_counter", "no_grad"})
_SKIP_KEYWORDS = frozenset({"dim", "axis", "keepdim", "keepdims", "indent", "exist_ok", "verbose", "dtype", "device",
                            "num_workers", "pin_memory", "shuffle", "flush", "end", "sep", "file", "mode", "encoding",
                            "random_state", "seed", "reduction", "ignore_index", "padding_idx", "dpi", "figsize",
                            "alpha", "color", "label", "fontsize", "linewidth", "disable", "total", "leave", "mininterval", "miniters"})
_ARRAYS = frozenset({"array", "asarray", "tensor", "as_tensor", "Tensor", "list", "tuple", "FloatTensor"})


class Parameter(BaseModel):
    """One literal of ``experiment.py`` that an idea may change."""

    name: str = Field(description="Readable and stable: 'LR', 'init_state[0]', 'odeint.args[0]', '--learning_rate'.")
    key: str = Field(description="The name as an identifier, the field's name in the typed schema.")
    type: ParamType
    value: int | float | str | bool
    choices: list[str] | None = None
    origin: Origin
    lineno: int = Field(description="1-based line of the literal's start.")
    col: int = Field(description="Character offset of its start in that line.")
    end_lineno: int
    end_col: int
    line: str = Field(description="The source line that holds it, for the prompt.")

    @property
    def bounds(self) -> tuple[float, float]:
        """The range a new value must lie in (numbers only)."""
        return numeric_bounds(self.type, self.value)

    def describe(self) -> str:
        """One line for a prompt: key, type, current value, range or choices, and where it is."""
        if self.type == "choice":
            span = "|".join(self.choices or [])
        elif self.type == "bool":
            span = "true|false"
        else:
            lo, hi = self.bounds
            span = f"{lo:g}..{hi:g}"
        where = f"line {self.lineno}: {self.line.strip()[:100]}"
        readable = "" if self.name == self.key else f"{self.name}, "
        return f"{self.key}: {self.type}, current {self.value!r}, {span} ({readable}{where})"


def numeric_bounds(kind: str, value: Any) -> tuple[float, float]:
    """Floats within x1000 of ``value`` (0 to 1 for 0.0); positive ints from 1 to x100 (0 to 10 for 0)."""
    if kind == "int":
        return (1, 100 * value) if value >= 1 else (min(value, 0) * 100, 10)
    if value == 0:
        return 0.0, 1.0
    lo, hi = sorted((value / 1000, value * 1000))
    return lo, hi


def is_harness_name(name: str) -> bool:
    """Whether a parameter or knob name belongs to the harness (seeding, output, hardware)."""
    words = set(re.split(r"[^a-z0-9]+", name.lower().replace("random_state", "seed")))
    return bool(words & _HARNESS_WORDS) or "seed" in name.lower()


def _number(node: ast.expr) -> int | float | None:
    """The value of a numeric literal (``3``, ``-0.5``, ``1e-3``), or ``None``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value if math.isfinite(node.value) else None
    return None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _reassigned(body: list[ast.stmt]) -> set[str]:
    """Names bound more than once (or augmented) in a scope: counters and accumulators."""
    counts: dict[str, int] = {}
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For):
            targets = [node.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    counts[name.id] = counts.get(name.id, 0) + (2 if isinstance(node, ast.AugAssign | ast.For) else 1)
    return {n for n, c in counts.items() if c > 1}


class _Finder:
    """Collects parameters from one parsed module (see the module docstring for what counts)."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.found: list[tuple[str, ast.expr, Origin, Any]] = []  # (name, literal node, origin, choices)

    def module(self, tree: ast.Module) -> None:
        again = _reassigned(tree.body)
        for node in tree.body:
            if isinstance(node, ast.If) and _is_main_guard(node.test):
                self.block(node.body, "main")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.block(node.body, "function")
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr):
                self.statement(node, "constant", again)

    def block(self, body: list[ast.stmt], origin: Origin, again: set[str] | None = None) -> None:
        """A function's (or the ``__main__`` block's) statements; nested blocks share its scope."""
        again = _reassigned(body) if again is None else again
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.block(node.body, origin)
            elif isinstance(node, ast.If | ast.For | ast.While | ast.With | ast.Try):
                for part in ("body", "orelse", "finalbody"):
                    self.block(getattr(node, part, []) or [], origin, again)
                for handler in getattr(node, "handlers", []):
                    self.block(handler.body, origin, again)
            else:
                self.statement(node, origin, again)

    def statement(self, node: ast.stmt, origin: Origin, again: set[str]) -> None:
        value = getattr(node, "value", None)
        if not isinstance(value, ast.expr):
            return
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            if targets[0].id not in again:
                self.value(value, targets[0].id, origin, literal_bool=origin == "constant")
        elif isinstance(value, ast.Call):  # a call whose result is unpacked, or a bare call
            self.call(value, "", origin)

    def value(self, node: ast.expr, name: str, origin: Origin, *, literal_bool: bool = False) -> None:
        if is_harness_name(name):
            return
        if _number(node) is not None or (literal_bool and isinstance(node, ast.Constant) and isinstance(node.value, bool)):
            self.found.append((name, node, origin, None))
        elif isinstance(node, ast.Tuple | ast.List):
            for i, item in enumerate(node.elts):
                self.value(item, f"{name}[{i}]", origin)
        elif isinstance(node, ast.Dict):
            for k, item in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and item is not None:
                    self.value(item, f"{name}[{k.value!r}]", origin)
        elif isinstance(node, ast.Call) and _call_name(node.func) in _ARRAYS and len(node.args) == 1:
            self.value(node.args[0], name, origin)
        elif isinstance(node, ast.Call):  # named by the call (AdamW.lr), under the outer one's argument
            self.call(node, f"{name}." if "." in name else "", origin)

    def call(self, node: ast.Call, prefix: str, origin: Origin) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            self.call(func.value, prefix, origin)  # chained: Model(width=64).to(device)
        name = _call_name(func)
        if name == "add_argument":
            self.argument(node)
            return
        if not name or name in _SKIP_CALLS:
            return
        for i, arg in enumerate(node.args):
            if _number(arg) in (0, 1):
                continue
            self.value(arg, f"{prefix}{name}.arg{i}", origin)
        for kw in node.keywords:
            if kw.arg and kw.arg not in _SKIP_KEYWORDS:
                self.value(kw.value, f"{prefix}{name}.{kw.arg}", origin)

    def argument(self, node: ast.Call) -> None:
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        flag = next((f for f in flags if f.startswith("--")), None)
        kws = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        default = kws.get("default")
        if flag is None or default is None or is_harness_name(flag) or "action" in kws:
            return
        choices = kws.get("choices")
        if isinstance(default, ast.Constant) and isinstance(default.value, str) and isinstance(choices, ast.List | ast.Tuple):
            options = [c.value for c in choices.elts if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            if len(options) == len(choices.elts) and default.value in options and len(options) > 1:
                self.found.append((flag, default, "argparse", options))
        elif _number(default) is not None:
            self.found.append((flag, default, "argparse", None))
        del kws

    def parameters(self) -> list[Parameter]:
        names = [n for n, *_ in self.found]
        out: list[Parameter] = []
        for name, node, origin, choices in self.found:
            if names.count(name) > 1:
                name = f"{name}@L{node.lineno}"
            out.append(self._parameter(name, node, origin, choices))
        keys = [p.key for p in out]
        return [p.model_copy(update={"key": f"{p.key}_L{p.lineno}"}) if keys.count(p.key) > 1 else p for p in out]

    def _parameter(self, name: str, node: ast.expr, origin: Origin, choices: list[str] | None) -> Parameter:
        line = self.lines[node.lineno - 1]
        end_line = self.lines[(node.end_lineno or node.lineno) - 1]
        col = len(line.encode()[: node.col_offset].decode(errors="replace"))
        end_col = len(end_line.encode()[: node.end_col_offset].decode(errors="replace"))
        value: Any
        if choices is not None:
            kind: ParamType = "choice"
            value = node.value  # type: ignore[attr-defined]
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            kind, value = "bool", node.value
        else:
            value = _number(node)
            kind = "int" if isinstance(value, int) else "float"
        key = re.sub(r"\W+", "_", name.replace("'", "")).strip("_") or "parameter"
        return Parameter(name=name, key=key if key[0].isalpha() else f"p_{key}", type=kind, value=value,
                         choices=choices, origin=origin, lineno=node.lineno, col=col,
                         end_lineno=node.end_lineno or node.lineno, end_col=end_col, line=line)


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators))


_ORDER = {"argparse": 0, "constant": 1, "main": 2, "function": 3}


def infer_parameters(source: str) -> list[Parameter]:
    """The parameters of ``source`` an idea may change, argparse defaults and constants first, at most
    :data:`MAX_PARAMETERS`.

    Raises:
        EditError: when ``source`` does not parse as Python.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise EditError(f"experiment.py does not parse: {exc}") from exc
    finder = _Finder(source)
    finder.module(tree)
    found = finder.parameters()
    return sorted(found, key=lambda p: (_ORDER[p.origin], p.lineno, p.col))[:MAX_PARAMETERS]


def parameters_schema(params: list[Parameter]) -> type[BaseModel]:
    """A typed schema of new values, keyed by each parameter's ``key``, defaulting to its current value:
    numbers within :func:`numeric_bounds`, choices as an enum; plus a one-sentence ``rationale``."""
    fields: dict[str, Any] = {}
    for p in params:
        if p.type == "bool":
            fields[p.key] = (bool, Field(default=p.value, description=p.name))
        elif p.type == "choice":
            fields[p.key] = (Literal[tuple(p.choices or [])], Field(default=p.value, description=p.name))  # type: ignore[misc]
        else:
            lo, hi = p.bounds
            kind = int if p.type == "int" else float
            fields[p.key] = (kind, Field(default=p.value, ge=lo, le=hi, description=p.name))
    fields["rationale"] = (clipped(300), Field())
    return create_model("ConstantValues", **fields)


def changed(params: list[Parameter], values: dict[str, Any]) -> list[tuple[Parameter, Any]]:
    """The parameters whose value in ``values`` (by key) differs from the current one, with it."""
    out = []
    for p in params:
        new = values.get(p.key, p.value)
        if p.type == "float" and isinstance(new, int) and not isinstance(new, bool):
            new = float(new)
        if new != p.value or type(new) is not type(p.value):
            out.append((p, new))
    return out


def set_parameters(source: str, params: list[Parameter], values: dict[str, Any]) -> str:
    """``source`` with each changed parameter's literal replaced, in place, by its new value.

    Raises:
        EditError: nothing changes, or the result does not compile.
    """
    edits = changed(params, values)
    if not edits:
        raise EditError("the values equal the current ones, so nothing would change; pick values that test the idea")
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    out = source
    for p, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col), reverse=True):
        begin, end = starts[p.lineno - 1] + p.col, starts[p.end_lineno - 1] + p.end_col
        out = out[:begin] + repr(new) + out[end:]  # repr(2.0) is '2.0': a float stays one
    try:
        compile(out, "experiment.py", "exec")
    except SyntaxError as exc:
        raise EditError(f"the edited experiment.py does not compile: {exc.msg} at line {exc.lineno}") from exc
    return out
