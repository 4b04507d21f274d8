"""Detectors from the security field, each a monitor in the registry, and the evidence they give.

* ``bandit``: bandit's checks on the Python lines a change adds (:mod:`._bandit`);
* ``secrets``: detect-secrets' plugins and credential names in any added text (:mod:`._secrets`);
* ``bash``: shell commands parsed by bashlex (:mod:`._bash`);
* ``iac``: policy checks on Kubernetes/Helm/CloudFormation YAML, Terraform, Dockerfiles and CDK
  (:mod:`._iac`);
* ``offtask``: each hunk's relevance to the node's task and the topics it touches unasked
  (:mod:`._offtask`).

:func:`collect_evidence` runs them all on one action, hunk by hunk in each file's language; the
learned scorer (``proctor.control.monitors._learned``) turns that evidence into one score.
"""

from proctor.control.monitors.detectors._changes import FileChange, file_changes, language_of, split_patch
from proctor.control.monitors.detectors._evidence import LAYERS, Evidence, collect_evidence
from proctor.control.monitors.detectors._monitors import detector_monitor

__all__ = ["Evidence", "FileChange", "LAYERS", "collect_evidence", "detector_monitor", "file_changes",
           "language_of", "split_patch"]
