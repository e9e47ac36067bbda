"""A world the judge did not write, to validate it against (docs/validation.md).

``body`` and ``motion``: a straight body pivoting at the heels under a Smith
bar, pulled by joint torques, integrated; ``athlete``: whole sessions and the
kinematic truth of each rep; ``sensors``: HX711, HC-SR04, VL53L0X/L1X and
their artefacts; ``randomise``: seeded sessions over this model and the
project's simulator; ``score``: the judge through its public API, matched and
scored per phenomenon. Plain Python + numpy, no Qt.
"""

from .randomise import generate_session
from .score import judge_and_score
from .truth import Session, TrueRep

__all__ = ["Session", "TrueRep", "generate_session", "judge_and_score"]
