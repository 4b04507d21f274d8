"""The model gateway: every model call goes through litellm, by role, with budgets and a ledger.

Roles (``untrusted``, ``trusted``, ``reviewer``) map to model strings in settings. The embedded
offline models (``local/gemma-3-270m``, ``local/smollm2-135m-instruct``: :data:`EMBEDDED_MODELS`) and
the test-only ``mock/...`` are litellm custom providers.
"""

from proctor.llm._errors import BudgetExceeded, ModelError, ModelUnavailable, StructuredOutputError
from proctor.llm._gateway import Completion, Model, check_model_string, get_model
from proctor.llm._ledger import Ledger, current_ledger, set_process_ledger, use_ledger
from proctor.llm._local_engine import model_info, prepare_embedded
from proctor.llm._local_models import SPECS as _SPECS
from proctor.llm._local_models import LocalModelSpec
from proctor.llm._providers import is_embedded
from proctor.llm._tap import prompt_tap
from proctor.settings import LOCAL_MODEL, BudgetSettings, LLMSettings, ModelRole

EMBEDDED_MODELS: tuple[LocalModelSpec, ...] = tuple(_SPECS.values())
"""The embedded models, the default first: where each one's weights come from and how it is prompted."""

__all__ = [
    "BudgetExceeded",
    "BudgetSettings",
    "Completion",
    "EMBEDDED_MODELS",
    "LLMSettings",
    "LOCAL_MODEL",
    "Ledger",
    "LocalModelSpec",
    "Model",
    "ModelError",
    "ModelRole",
    "ModelUnavailable",
    "StructuredOutputError",
    "check_model_string",
    "current_ledger",
    "get_model",
    "is_embedded",
    "model_info",
    "prepare_embedded",
    "prompt_tap",
    "set_process_ledger",
    "use_ledger",
]
