"""Test options: slow, docker, scale and GPU tests are opt-in (``--runslow``, ``--rundocker``, ``--runscale``).

Scale tests (``scale``: real Ray clusters, PostgreSQL and chroma servers started by the tests) also run
when selected by name, ``pytest -m scale``; ``.ci/run`` runs them that way.
"""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run tests that load real models")
    parser.addoption("--rundocker", action="store_true", help="run tests that need a Docker engine")
    parser.addoption("--runscale", action="store_true",
                     help="run the scale tests (Ray cluster, PostgreSQL, chroma server); also: -m scale")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_slow = pytest.mark.skip(reason="slow: pass --runslow")
    skip_docker = pytest.mark.skip(reason="docker: pass --rundocker (needs a running engine)")
    skip_scale = pytest.mark.skip(reason="scale: pass --runscale or -m scale (starts Ray, PostgreSQL, chroma)")
    run_scale = config.getoption("--runscale") or "scale" in (config.getoption("-m") or "").replace("not scale", "")
    skip_bwrap = pytest.mark.skip(reason="bubblewrap is not installed (apt-get install bubblewrap)")
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    skip_gpu = pytest.mark.skip(reason="no CUDA GPU on this machine")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip_slow)
        if "docker" in item.keywords and not config.getoption("--rundocker"):
            item.add_marker(skip_docker)
        if "scale" in item.keywords and not run_scale:
            item.add_marker(skip_scale)
        if "bwrap" in item.keywords and shutil.which("bwrap") is None:
            item.add_marker(skip_bwrap)
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)


@pytest.fixture(autouse=True)
def _reset_mock_models() -> None:
    from proctor.llm import mock

    mock.reset()


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own state directory (audit key, anchored log heads, default queue)."""
    monkeypatch.setenv("PROCTOR_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv("PROCTOR_AUDIT_KEY", raising=False)
