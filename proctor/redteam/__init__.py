"""Red-teaming the trust boundary: ``proctor sandbox redteam``.

Each attack (:mod:`._attacks`) runs through the real per-idea pipeline in a child process
(:mod:`._child`) with the monitor forced to allow, so only the boundary stands in its way;
:mod:`._suite` plants host canaries (:mod:`._canaries`), runs a pristine control and the attacks,
and :mod:`._checks` says, per attack, whether the boundary held.
"""

from proctor.redteam._attacks import Attack, AttackFileError, inject, load_attacks
from proctor.redteam._canaries import ENV_VAR, Canaries, canary_paths, planted
from proctor.redteam._suite import CONTROL, AttackReport, check_attack, run_suite

__all__ = [
    "Attack",
    "AttackFileError",
    "AttackReport",
    "CONTROL",
    "Canaries",
    "ENV_VAR",
    "canary_paths",
    "check_attack",
    "inject",
    "load_attacks",
    "planted",
    "run_suite",
]
