"""Proctor: autonomous AI research under AI-control protocols.

Policies propose, monitors score, protocols route; only the control gate mints the approvals that
sandboxes and file writers accept. See the README for the two set-up commands.
"""

import os as _os

# Offline by default: nothing fetches price maps, telemetry or models from the network at run
# time. These must be set before litellm, chromadb or transformers are first imported.
_os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
_os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
_os.environ.setdefault("HF_HUB_OFFLINE", "1")
_os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
_os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"

__all__ = [
    "__version__",
]
