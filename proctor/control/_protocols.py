"""Importing this module registers every built-in protocol."""

from proctor.control._defer_to_resample import defer_to_resample
from proctor.control._defer_to_trusted import defer_to_trusted
from proctor.control._trusted_editing import trusted_editing
from proctor.control._trusted_monitoring import trusted_monitoring
from proctor.control._upfront_auditing import upfront_auditing

__all__ = ["defer_to_resample", "defer_to_trusted", "trusted_editing", "trusted_monitoring", "upfront_auditing"]
