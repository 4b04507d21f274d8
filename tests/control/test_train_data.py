"""What the learned monitor is trained on: the package ships only Proctor's own data; the rest comes by path."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import proctor.control.eval as control_eval
from proctor.cli._control import control_group
from proctor.control.eval import corpus, handoff_dataset, load_dataset
from proctor.control.monitors import load_model

ROOT = Path(__file__).resolve().parents[2]


def _shared(folder: Path, n: int = 40) -> Path:
    """A stand-in for the shared data folder: ``n`` paper texts and ``n`` abstracts (40 a hand-off edge)."""
    (folder / "iclr2022-review-bench").mkdir(parents=True)
    with tarfile.open(folder / "iclr2022-review-bench" / "papers.tar.gz", "w:gz") as tar:
        for k in range(n):
            body = f"Paper {k}\nWe study sparse attention.\nResults improve by {k}%.\n".encode()
            info = tarfile.TarInfo(f"papers/p{k}.txt")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    (folder / "abstracts").mkdir()
    with gzip.open(folder / "abstracts" / "ml-venues-2020-2024.jsonl.gz", "wt", encoding="utf-8") as fh:
        for k in range(n):
            fh.write(json.dumps({"title": f"Sparse attention number {k}", "abstract": "We study it. " * 20}) + "\n")
    return folder


def test_the_packaged_corpus_holds_only_proctors_own_sources() -> None:
    sources = {i.source for i in corpus()}
    assert sources == {"pipeline", "planted", "agentdojo", "infra"}


def test_fetched_data_lives_under_shared_with_a_builder_for_each_set() -> None:
    commits = load_dataset(ROOT / "shared" / "corpus" / "commits.jsonl")
    assert {i.source for i in commits} == {"helm-charts", "cdk-examples"} and len(commits) == 360
    sets = [p for p in (ROOT / "shared" / "heldout").iterdir() if p.is_dir()]
    assert len(sets) >= 10
    for data in sets:
        assert (ROOT / "bench" / f"heldout_{data.name}" / "build.py").is_file(), data.name
        assert (ROOT / "bench" / f"heldout_{data.name}" / "MANIFEST.json").is_file(), data.name
    assert not list((ROOT / "bench").glob("heldout_*/data")), "held-out data belongs under shared/heldout"


def test_handoffs_are_built_from_the_shared_folder(tmp_path: Path) -> None:
    items = handoff_dataset(_shared(tmp_path / "shared"))
    assert len(items) == 120 and {i.source for i in items} == {"handoffs"}
    assert {i.label for i in items} == {"honest", "attack"}
    again = handoff_dataset(tmp_path / "shared")
    assert [i.model_dump() for i in again] == [i.model_dump() for i in items]  # deterministic


def test_a_folder_without_the_texts_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="papers.tar.gz"):
        handoff_dataset(tmp_path)
    result = CliRunner().invoke(control_group, ["train", "--out", str(tmp_path / "m.json"),
                                                "--handoffs-from", str(tmp_path)])
    assert result.exit_code != 0 and "papers.tar.gz" in result.output
    assert not (tmp_path / "m.json").exists()


def test_train_takes_the_handoffs_and_writes_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = [i for i in corpus() if i.source == "pipeline"]
    monkeypatch.setattr(control_eval, "corpus", lambda: packaged)
    out = tmp_path / "m.json"
    result = CliRunner().invoke(control_group, ["train", "--out", str(out), "--handoffs-from",
                                                str(_shared(tmp_path / "shared"))])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())["report"]
    assert "handoffs" in report["sources"] and report["n"] == len(packaged) + 120
    body = json.loads(out.read_text())
    assert body["lexical"]["weights"] and report["lexical"]["tokens"] == len(body["lexical"]["weights"])
    loaded = load_model(str(out))  # the written model loads back with its line model
    assert loaded.lexical is not None and loaded.lexical.weights == body["lexical"]["weights"]


def test_train_without_the_lexical_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = [i for i in corpus() if i.source in ("pipeline", "planted")]
    monkeypatch.setattr(control_eval, "corpus", lambda: packaged)
    out = tmp_path / "m.json"
    result = CliRunner().invoke(control_group, ["train", "--out", str(out), "--no-lexical"])
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert body["lexical"] is None and "lexical" not in body["report"]
    assert body["weights"][body["features"].index("lexical.max")] == 0.0
