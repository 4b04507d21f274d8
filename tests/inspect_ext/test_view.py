"""An exported run opened in Inspect's own log viewer: ``inspect view`` serves the log, headless
Chromium (driven by Playwright) renders the sample's transcript, and the screenshot, read back by
OCR (tesseract), shows the run's events.

Needs Debian's ``chromium`` and ``tesseract-ocr`` (``.ci/run`` installs both); without them the test
skips locally and fails under CI, so it cannot be skipped silently where it is meant to run.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TESSERACT = shutil.which("tesseract")


def _need(tool: str | None, name: str) -> str:
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs it (apt-get install {name})")
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return tool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"inspect view exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback only)
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"inspect view did not answer at {url} in {timeout:.0f} s")


def _ocr(png: Path) -> str:
    out = subprocess.run([_need(TESSERACT, "tesseract-ocr"), str(png), "-"], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return re.sub(r"\s+", " ", out).lower()


def test_inspect_view_shows_the_exported_runs_events(tmp_path: Path) -> None:
    chromium = _need(CHROMIUM, "chromium")
    _need(TESSERACT, "tesseract-ocr")
    sync_api = pytest.importorskip("playwright.sync_api")
    from inspect_ai.log import read_eval_log

    from proctor.inspect_ext import export_run
    from tests.inspect_ext.test_export import _run

    run = _run(tmp_path / "runs")
    log_dir = tmp_path / "logs"
    path = export_run(run.path, log_dir)
    [sample] = read_eval_log(str(path)).samples  # type: ignore[misc]

    port = _free_port()
    inspect_cli = Path(sys.executable).parent / "inspect"
    view = subprocess.Popen([str(inspect_cli), "view", "--log-dir", str(log_dir),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shot = tmp_path / "transcript.png"
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/logs", view)
        url = f"http://127.0.0.1:{port}/#/logs/{path.name}/samples/sample/{sample.id}/1/transcript"
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update"])
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                # The transcript loads asynchronously; wait for the stage's span to be drawn.
                page.get_by_text(re.compile("proctor_stage", re.I)).first.wait_for(timeout=60_000)
                page.wait_for_timeout(500)
                page.screenshot(path=str(shot))
            finally:
                browser.close()
    finally:
        view.terminate()
        view.wait(timeout=30)

    text = _ocr(shot)
    assert "no events to display" not in text
    # The stage span, the untrusted model call with its tokens, and the protocol's decision record.
    assert "run_experiments" in text, text
    assert "model call (untrusted)" in text, text
    assert "150 tokens" in text, text
    assert "proctor.protocol" in text, text
    assert "structured output experimentconfig" in text, text
