"""Proctor inside Inspect (``inspect_ai``): its sandboxes, its control gate as an approver, run export.

* ``proctor_bwrap`` and ``proctor_docker``: Proctor's bubblewrap and docker sandboxes as Inspect
  sandbox environments (``sandbox="proctor_bwrap"`` in any task), one per sample, with Inspect's
  lifecycle and Inspect's semantics for ``exec``, ``read_file`` and ``write_file``.
* ``proctor/gate``: the control gate (monitors, protocols, the human audit queue, the keyed audit
  log) as an Inspect approver.
* :func:`export_run`: a Proctor run's events as an Inspect eval log (``proctor runs export RUN
  --format inspect``; ``inspect view``).

Installed with the ``inspect`` extra; Inspect imports this package through the ``inspect_ai`` entry
point, which registers the sandboxes and the approver. See ``docs/inspect.md``.
"""

from proctor.inspect_ext._approver import GateApprover, gate_approver
from proctor.inspect_ext._export import export_run, run_eval_log
from proctor.inspect_ext._policies import PolicyFailed, model_policies
from proctor.inspect_ext._sandbox import (
    ProctorBwrapSandbox,
    ProctorDockerSandbox,
    ProctorSandboxConfig,
    ProctorSandboxEnvironment,
    sandbox_settings,
)
from proctor.inspect_ext._tools import SHELL_TOOLS, action_for, tool_call_for

__all__ = [
    "GateApprover",
    "PolicyFailed",
    "ProctorBwrapSandbox",
    "ProctorDockerSandbox",
    "ProctorSandboxConfig",
    "ProctorSandboxEnvironment",
    "SHELL_TOOLS",
    "action_for",
    "export_run",
    "gate_approver",
    "model_policies",
    "run_eval_log",
    "sandbox_settings",
    "tool_call_for",
]
