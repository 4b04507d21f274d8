"""Control protocols: route a scored action to allow, resample, defer, edit or audit.

The five protocols of the AI-control literature, the per-node audit thresholds and their
calibration (a cascade's escalation thresholds too), and the trusted paraphraser for text handed between agents.
"""

from proctor.control.protocols._defer_to_resample import defer_to_resample
from proctor.control.protocols._defer_to_trusted import defer_to_trusted
from proctor.control.protocols._escalation import LayerScores, calibrate_cascade, load_layer_scores
from proctor.control.protocols._normalise import (
    MessageField,
    normalise,
    normalise_fields,
    parse_fields,
    render_fields,
)
from proctor.control.protocols._paraphrase import (
    HANDOFF_EDGES,
    Paraphrased,
    ParaphraseError,
    ParaphraseEvent,
    paraphrase_message,
    paraphrase_model,
)
from proctor.control.protocols._registry import PROTOCOLS, ProtocolFactory, protocol
from proctor.control.protocols._thresholds import (
    Escalation,
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
    "Escalation",
    "HANDOFF_EDGES",
    "LayerScores",
    "MessageField",
    "NodeThreshold",
    "PROTOCOLS",
    "ParaphraseError",
    "ParaphraseEvent",
    "Paraphrased",
    "ProtocolFactory",
    "Thresholds",
    "ThresholdsError",
    "calibrate",
    "calibrate_cascade",
    "defer_to_resample",
    "defer_to_trusted",
    "load_layer_scores",
    "load_scores",
    "load_thresholds",
    "normalise",
    "normalise_fields",
    "paraphrase_message",
    "paraphrase_model",
    "parse_fields",
    "protocol",
    "quantile_threshold",
    "render_fields",
    "save_thresholds",
    "trusted_editing",
    "trusted_monitoring",
    "upfront_auditing",
]
