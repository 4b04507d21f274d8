"""The same workflow on an API model: litellm's real OpenAI client against a local server.

The server is a test double that speaks the OpenAI chat-completions protocol on loopback and
answers each request with a schema-valid JSON object (the scripted answers of the pipeline test).
What is real: settings from ``PROCTOR_*`` variables, litellm's HTTP client, the gateway's
structured-output path for API models (schema in the prompt, validation, usage accounting), the
gate, the sandbox, the write-up and the review.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.agents import start_run
from proctor.log import ModelCallEvent
from proctor.settings import load_settings
from tests.agents.test_pipeline import _respond, _rootfs_ready, _template

REQUESTS: list[dict[str, Any]] = []


class _OpenAICompatible(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        REQUESTS.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        text = _respond(body["messages"], {"response_format": body["response_format"]})
        reply = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": text}}],
                 "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
        raw = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAICompatible)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.bwrap
@pytest.mark.skipif(not _rootfs_ready(), reason="no sandbox rootfs: run `proctor sandbox build-image --rootfs-only`")
def test_full_run_on_an_openai_compatible_api(tmp_path: Path, api_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.retrieval import Document, LiteratureIndex, add_documents

    REQUESTS.clear()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for role in ("UNTRUSTED", "TRUSTED", "REVIEWER"):
        monkeypatch.setenv(f"PROCTOR_LLM__{role}", "openai/gpt-4o-mini")
    monkeypatch.setenv("PROCTOR_LLM__API_BASE", api_server)
    settings = load_settings(None, [
        f"runs_dir={tmp_path / 'runs'}", f"workflow.template={_template(tmp_path / 'toy')}",
        "workflow.num_ideas=1", "workflow.seeds=1", "workflow.novelty_rounds=1",
        "retrieval.embedder=hashing", f"retrieval.index_dir={tmp_path / 'index'}",
        "sandbox.provider=bubblewrap", "sandbox.timeout_s=120",
    ])
    add_documents(LiteratureIndex(settings.retrieval), [
        Document(paper_id="p0", title="Paper on scaling", abstract="We scale a knob.", text="We scale a knob.",
                 source="test")])
    run = anyio.run(start_run, settings, "toy scaling")
    assert run.header().status == "succeeded", run.header().status_detail
    [outcome] = json.loads((run.path / "summary.json").read_text())["outcomes"]
    assert outcome["experiment"] == "ok" and outcome["review"]["status"] == "ok", outcome
    assert REQUESTS and all(r["path"] == "/v1/chat/completions" and r["auth"] == "Bearer sk-test" for r in REQUESTS)
    assert {r["body"]["model"] for r in REQUESTS} == {"gpt-4o-mini"}
    # API models get the schema in the prompt as well as in response_format
    assert all("matching this JSON schema" in r["body"]["messages"][-1]["content"] for r in REQUESTS)
    calls = [e for e in run.events.read() if isinstance(e, ModelCallEvent) and e.ok]
    assert len(calls) == len(REQUESTS) and all(c.model == "openai/gpt-4o-mini" for c in calls)
    assert sum(c.prompt_tokens for c in calls) == 100 * len(REQUESTS)
    assert sum(c.cost_usd for c in calls) > 0  # priced from litellm's local cost map
