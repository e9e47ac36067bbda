"""Physical constants and the one conversion between mass and force, one
owner for every layer: the judgement (% body mass), the simulated station,
the calibration wizard's known masses, the live plot and Progress."""

G_MS2 = 9.80665     # standard gravity, m/s²


def weight_n(mass_kg: float) -> float:
    """The force (N) a mass of ``mass_kg`` pulls with, hanging at rest."""
    return mass_kg * G_MS2
