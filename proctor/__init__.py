"""Proctor: autonomous AI research under AI-control protocols.

Policies propose, monitors score, protocols route; only the control gate mints the approvals that
sandboxes and file writers accept. See the README for the two set-up commands.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
