"""The exercises the station judges, by the names every layer stores and
passes on: the analysis chooses its judge by them (analysis/pipeline.py),
a session stores them on its row and on each set, and the command line and
the app offer them. One owner, so a name is spelled once. No Qt here.

- ``inverted-row``: a pull until the chest touches the bar and back to
  straight arms (docs/analysis.md).
- ``mid-back-shrug``: hanging with straight arms, the shoulder blades
  squeezed together and held; the chest rises a few centimetres with no
  bend at the elbows (docs/analysis.md, "Mid-back shrug").
- ``rear-delt-flye`` and ``dumbbell-shrug`` are done with dumbbells away
  from the bar: not judged, their sets are logged (reps, dumbbell mass).
"""

from __future__ import annotations

INVERTED_ROW = "inverted-row"
MID_BACK_SHRUG = "mid-back-shrug"
JUDGED_EXERCISES: tuple[str, ...] = (INVERTED_ROW, MID_BACK_SHRUG)
DEFAULT_EXERCISE = INVERTED_ROW

# Done with dumbbells away from the bar: the coach logs sets x reps x mass.
REAR_DELT_FLYE = "rear-delt-flye"
DUMBBELL_SHRUG = "dumbbell-shrug"         # the mid-back shrug face down on an incline bench
LOGGED_EXERCISES: tuple[str, ...] = (REAR_DELT_FLYE, DUMBBELL_SHRUG)
# How each is named to a person, in every view and export.
EXERCISE_TEXT: dict[str, str] = {
    INVERTED_ROW: "Inverted row",
    MID_BACK_SHRUG: "Mid-back shrug",
    REAR_DELT_FLYE: "Rear-delt flye",
    DUMBBELL_SHRUG: "Dumbbell shrug (incline bench)",
}


def exercise_text(exercise: str | None) -> str:
    """The exercise as a person reads it; an unknown name as stored."""
    return EXERCISE_TEXT.get(exercise or "", exercise or "")


def check_logged_exercise(exercise: str) -> str:
    """``exercise`` if it is logged by hand, else ValueError saying which are."""
    if exercise not in LOGGED_EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; sets logged by hand are of "
                         f"{', '.join(LOGGED_EXERCISES)}")
    return exercise


def check_exercise(exercise: str) -> str:
    """``exercise`` if the station judges it, else ValueError saying which it does."""
    if exercise not in JUDGED_EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; the station judges "
                         f"{', '.join(JUDGED_EXERCISES)}")
    return exercise
