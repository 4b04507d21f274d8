"""A template importing what the sandbox image lacks is refused before the run, naming the modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.agents import experiment_mode
from proctor.agents._imports import missing_modules, template_imports
from proctor.agents.template import load_template
from proctor.sandboxes import rootfs_dir
from proctor.settings import load_settings
from tests.agents.test_search import make_template

EXPERIMENT = '''import json
import os.path as osp

import numpy as np
from einops import rearrange

import helpers

try:
    from tqdm import tqdm
except ImportError:
    tqdm = None

if __name__ == "__main__":
    rate = 0.5
'''


def _settings(state: Path, *extra: str):  # type: ignore[no-untyped-def]
    return load_settings(None, [f"sandbox.state_dir={state}", "sandbox.provider=bubblewrap", *extra])


def _fake_rootfs(settings, packages: list[str]) -> None:  # type: ignore[no-untyped-def]
    site = rootfs_dir(settings.sandbox) / "usr/local/lib/python3.11/dist-packages"
    for name in packages:
        (site / name).mkdir(parents=True)
    (site / "numpy-2.0.dist-info").mkdir()


def test_imports_are_followed_into_the_template_and_optional_ones_skipped(tmp_path: Path) -> None:
    root = make_template(tmp_path / "t", EXPERIMENT)
    (root / "helpers.py").write_text("import pandas as pd\nfrom . import nothing\n")
    found = template_imports(root)
    assert found == {"json": "experiment.py:1", "os": "experiment.py:2", "numpy": "experiment.py:4",
                     "einops": "experiment.py:5", "pandas": "helpers.py:1"}


def test_missing_modules_refuse_the_template_with_the_fix(tmp_path: Path) -> None:
    root = make_template(tmp_path / "t", EXPERIMENT)
    (root / "helpers.py").write_text("import pandas as pd\n")
    settings = _settings(tmp_path / "state")
    assert missing_modules(root, settings) == {}  # no rootfs here: the image's contents are unknown
    _fake_rootfs(settings, ["numpy"])
    assert missing_modules(root, settings) == {"einops": "experiment.py:5", "pandas": "helpers.py:1"}
    with pytest.raises(ValueError, match=r"imports modules the sandbox image lacks: einops \(experiment.py:5\), "
                                         r"pandas \(helpers.py:1\)") as caught:
        experiment_mode(settings, load_template(root))
    assert "sandbox.python_packages=" in str(caught.value) and "build-image --rootfs-only" in str(caught.value)
    assert missing_modules(root, _settings(tmp_path / "state", "sandbox.provider=host", "sandbox.allow_host=true")) == {}


def test_a_template_that_does_not_parse_or_has_no_parameters_is_refused_for_constants(tmp_path: Path) -> None:
    settings = load_settings(None, ["workflow.experiment_mode=constants"])
    broken = load_template(make_template(tmp_path / "broken", "def run(:\n"))
    with pytest.raises(ValueError, match="template broken: experiment.py does not parse"):
        experiment_mode(settings, broken)
    empty = load_template(make_template(tmp_path / "empty", "import os\nprint(os.getcwd())\n"))
    with pytest.raises(ValueError, match="has no parameters for experiment_mode=constants"):
        experiment_mode(settings, empty)
