"""The write-up copies figures under harness-chosen names: a hostile file name never reaches the paper."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.agents._context import RunContext
from proctor.agents._writeup import write_idea_paper
from proctor.llm import mock
from proctor.log import RunDir
from proctor.settings import load_settings

EVIL = "x}\\input{..}\\input{passwd}$^<img src=q onerror=alert(1)>.png"  # a file name cannot hold "/"


def _figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.plot([0, 1], [0.5, 0.75])
    plt.savefig(path)
    plt.close()


def test_figures_are_renamed_and_captions_reduced(tmp_path: Path) -> None:
    prose = {"title": "Warmup", "abstract": "a", "introduction": "\\input{/etc/hostname} i",
             "method": "m", "results_discussion": "<script>alert(1)</script> r", "conclusion": "c"}

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        return json.dumps(prose)

    mock.script("writeup_figs", respond)
    settings = load_settings(None, ["llm.untrusted=mock/writeup_figs", "llm.allow_mock=true"])
    run = RunDir(tmp_path / "run")
    work = run.path / "experiments/warmup/work"
    work.mkdir(parents=True)
    _figure(work / EVIL)
    _figure(work / "loss_curve.png")
    (work / "link.png").symlink_to(work / "loss_curve.png")  # refused at the trust boundary: skipped
    info = {"<script>d</script>": {"means": {"acc": 0.5}}}
    experiment = {"status": "ok", "workdir": "experiments/warmup/work",
                  "figures": [f"experiments/warmup/work/{n}" for n in (EVIL, "link.png", "loss_curve.png")],
                  "runs": {"run_0": {"condition": "baseline", "final_info": info},
                           "run_1": {"condition": "idea", "final_info": info}}}
    idea = {"Name": "warmup", "Title": "Warmup", "Experiment": "Add warmup."}
    result = anyio.run(write_idea_paper, RunContext(settings=settings, run=run), idea, experiment, {})
    assert result["status"] == "ok"
    out = run.path / "papers/warmup"
    assert sorted(p.name for p in out.glob("*.png")) == ["figure_1.png", "figure_2.png"]
    tex = (out / "paper.tex").read_text()
    assert tex.count("\\includegraphics") == 2
    assert "{figure_1.png}" in tex and "{figure_2.png}" in tex and "\\caption{loss curve}" in tex
    assert "\\caption{x input input passwd img src q onerror alert 1}" in tex
    md = (out / "paper.md").read_text()
    assert "](figure_1.png)" in md and "](figure_2.png)" in md and EVIL not in md
    html = (out / "paper.html").read_text()
    assert '<img src="figure_1.png"' in html and '<img src="figure_2.png"' in html
    assert "<script" not in html and "onerror=" not in html
    if shutil.which("pdflatex") is None:
        pytest.skip("no TeX engine")
    from pypdf import PdfReader

    assert result["pdf"], (out / "paper.log").read_text()[-2000:]
    reader = PdfReader(result["pdf"])
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "hostname" in text and "loss curve" in text  # printed as text
    assert sum("/XObject" in str(page.get("/Resources", {})) for page in reader.pages) >= 1
