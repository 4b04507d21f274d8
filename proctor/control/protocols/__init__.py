"""Control protocols: route a scored action to allow, resample, defer, edit or audit.

The five protocols of the AI-control literature, the per-node audit thresholds and their
calibration, and the trusted paraphraser for text handed between agents.
"""

from proctor.control.protocols._defer_to_resample import defer_to_resample
from proctor.control.protocols._defer_to_trusted import defer_to_trusted
from proctor.control.protocols._paraphrase import ParaphraseError, edge_matches, paraphraser
from proctor.control.protocols._registry import PROTOCOLS, ProtocolFactory, protocol
from proctor.control.protocols._thresholds import (
    NodeThreshold,
    Thresholds,
    ThresholdsError,
    calibrate,
    load_scores,
    load_thresholds,
    quantile_threshold,
    save_thresholds,
)
from proctor.control.protocols._trusted_editing import trusted_editing
from proctor.control.protocols._trusted_monitoring import trusted_monitoring
from proctor.control.protocols._upfront_auditing import upfront_auditing

__all__ = [
    "NodeThreshold",
    "PROTOCOLS",
    "ParaphraseError",
    "ProtocolFactory",
    "Thresholds",
    "ThresholdsError",
    "calibrate",
    "defer_to_resample",
    "defer_to_trusted",
    "edge_matches",
    "load_scores",
    "load_thresholds",
    "paraphraser",
    "protocol",
    "quantile_threshold",
    "save_thresholds",
    "trusted_editing",
    "trusted_monitoring",
    "upfront_auditing",
]
