"""One settings tree: defaults < ``proctor.toml`` < ``PROCTOR_*`` environment < CLI ``--set`` flags.

Every section of the tree (``llm``, ``workflow``, ``control``, ``sandbox``, ``retrieval``, ``review``,
``batch``) is a plain pydantic model defined here, at the bottom layer, so that any package can read its
own section without importing another package.
"""

from proctor.settings._batch import BatchSettings, ExecutorKind, batch_settings_of, batches_root
from proctor.settings._control import DEFAULT_IMPORTS, ControlSettings, ParaphraseSettings, ProtocolSpec
from proctor.settings._llm import LOCAL_MODEL, BudgetSettings, LLMSettings, ModelRole
from proctor.settings._load import (
    SettingsError,
    find_config,
    load_settings,
    load_settings_with_sources,
    parse_overrides,
    provenance,
)
from proctor.settings._retrieval import RetrievalSettings, SearchMode
from proctor.settings._review import ReviewSettings, review_settings
from proctor.settings._sandbox import SandboxSettings
from proctor.settings._tree import Settings, file_layer
from proctor.settings._workflow import WorkflowSettings

__all__ = [
    "BatchSettings",
    "BudgetSettings",
    "ControlSettings",
    "DEFAULT_IMPORTS",
    "ExecutorKind",
    "LLMSettings",
    "LOCAL_MODEL",
    "ModelRole",
    "ParaphraseSettings",
    "ProtocolSpec",
    "RetrievalSettings",
    "ReviewSettings",
    "SandboxSettings",
    "SearchMode",
    "Settings",
    "SettingsError",
    "WorkflowSettings",
    "batch_settings_of",
    "batches_root",
    "file_layer",
    "find_config",
    "load_settings",
    "load_settings_with_sources",
    "parse_overrides",
    "provenance",
    "review_settings",
]
