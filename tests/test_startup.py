"""Commands that call no model start at once: no heavy library is imported, ``--help`` is fast.

Each command runs in a fresh interpreter (what a user's shell does), then the test reads which
modules that interpreter imported. litellm alone costs seconds of start-up on a small machine.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEAVY = ("litellm", "torch", "chromadb", "transformers", "sentence_transformers", "textual", "langgraph",
         "docker", "ray", "numpy", "scipy", "sklearn", "matplotlib", "xgrammar", "openai")

_PROBE = """
import json, sys
from proctor.cli.main import main
args, watched = json.loads(sys.argv[1]), set(json.loads(sys.argv[2]))
sys.argv = ["proctor", *args]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & watched)
print("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCTOR_")}
    env["PROCTOR_STATE_DIR"] = str(tmp_path / "state")
    return env


def _probe(args: list[str], tmp_path: Path) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")]
    assert line, proc.stdout[-2000:] + proc.stderr[-2000:]
    result: dict[str, object] = json.loads(line[-1].removeprefix("PROBE "))
    result["output"] = proc.stdout[-2000:] + proc.stderr[-2000:]
    return result


@pytest.mark.parametrize("args", [["--help"], ["runs", "list"], ["config", "show"]], ids=" ".join)
def test_commands_that_call_no_model_import_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    result = _probe(args, tmp_path)
    assert result["code"] == 0, result["output"]
    assert result["heavy"] == [], f"`proctor {' '.join(args)}` imported {result['heavy']}"


def test_every_subcommands_help_imports_no_heavy_library(tmp_path: Path) -> None:
    from proctor.cli.main import COMMANDS

    offenders = {}
    for name in COMMANDS:
        result = _probe([name, "--help"], tmp_path)
        assert result["code"] == 0, (name, result["output"])
        if result["heavy"]:
            offenders[name] = result["heavy"]
    assert offenders == {}, "make these imports lazy (inside the function that uses them)"


def _proctor() -> list[str]:
    script = Path(sys.executable).parent / "proctor"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "proctor.cli"]


def test_help_starts_in_well_under_a_second(tmp_path: Path) -> None:
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        proc = subprocess.run([*_proctor(), "--help"], cwd=tmp_path, env=_env(tmp_path),
                              capture_output=True, text=True, timeout=60)
        walls.append(time.perf_counter() - started)
        assert proc.returncode == 0 and "runs" in proc.stdout, proc.stderr
    assert statistics.median(walls) < 1.5, f"proctor --help took {walls} s"


def test_importing_settings_and_the_gateway_imports_no_heavy_library(tmp_path: Path) -> None:
    code = ("import json, sys\nimport proctor.settings, proctor.llm, proctor.log\n"
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
