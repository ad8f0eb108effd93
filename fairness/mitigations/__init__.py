"""One registry over fairlearn's and aif360's bias mitigations.

Each :class:`Mitigation` says what it is (library, stage, targeted
constraint, whether it needs the sensitive attribute at prediction time);
:func:`run_mitigation` fits any of them on a training set and decides on a
test set through one call, deterministically for a given ``random_state``.
"""

from ._common import MitigationError, MitigationOutput, positive_proba
from ._registry import MITIGATIONS, Mitigation, applicable, mitigation_table, run_mitigation

__all__ = [
    "MITIGATIONS",
    "Mitigation",
    "MitigationError",
    "MitigationOutput",
    "applicable",
    "mitigation_table",
    "positive_proba",
    "run_mitigation",
]
