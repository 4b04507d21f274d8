"""The default corpus (with a stand-in shared folder) and server mode (slow: starts `chroma run`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from proctor.retrieval import (
    LiteratureIndex,
    RetrievalSettings,
    SharedDataMissing,
    build_default_index,
    default_index_ready,
    ingest,
    search,
    serve_command,
)


def test_build_default_once_then_reuse(settings: RetrievalSettings, jsonl_gz: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "data" / "abstracts").mkdir(parents=True)
    shutil.copy(jsonl_gz, shared / "data" / "abstracts" / "ml-venues-2020-2024.jsonl.gz")
    settings = settings.model_copy(update={"shared_dir": str(shared)})
    index = LiteratureIndex(settings)
    assert not default_index_ready(index)
    assert build_default_index(index, show_progress=False).papers == 3
    assert default_index_ready(LiteratureIndex(settings))
    again = build_default_index(LiteratureIndex(settings), show_progress=False)
    assert again.chunks == 0 and len(again.files_unchanged) == 1


def test_missing_shared_folder_is_a_clear_error(settings: RetrievalSettings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"shared_dir": str(tmp_path / "absent")})
    with pytest.raises(SharedDataMissing, match="does not exist"):
        build_default_index(LiteratureIndex(settings), show_progress=False)


@pytest.mark.slow
def test_server_mode(settings: RetrievalSettings, jsonl_gz: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(serve_command(settings, port=port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        remote = settings.model_copy(update={"server_url": f"http://localhost:{port}",
                                             "index_dir": str(tmp_path / "client")})
        deadline = time.monotonic() + 60
        while True:
            try:
                index = LiteratureIndex(remote)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert ingest(index, [jsonl_gz], show_progress=False).papers == 3
        assert search(index, "molecules", k=1)[0].passage.paper_id == "p2"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
