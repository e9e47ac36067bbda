"""The simulated Back Station: a seeded, scripted stand-in for the firmware.

It writes wire protocol v1 exactly as the firmware will (sentences from
``protocol.sentences``, commands parsed by ``protocol.commands.parse_command``)
and keeps the ground truth of what the athlete did, for tests to compare with.

Model numbers and where they come from:

- HX711 (datasheet): 10 or 80 SPS set by the RATE pin, 24-bit two's complement
  output (clipped to -8388608..8388607), output settling 400 ms at 10 SPS and
  50 ms at 80 SPS. Its on-chip oscillator is off nominal (+0.2..1 %, so 80 SPS
  measures ~80.5) and the main loop adds ~30 us of read jitter. Noise: 3
  counts rms (gain 128) plus 0.15 N of mechanical noise per side.
- Load cells: a per-board tare offset of 20 000-90 000 counts (the hooks and
  bar) and 400-2000 counts/N, different per channel; the EEPROM holds the
  maker's calibration (offset within 150 counts, scale within 1 %).
- HC-SR04 (datasheet: 2-400 cm, >= 60 ms cycle advised): here a 50 ms cycle
  (~20 Hz), integer mm, ~1.2 mm rms noise (+-2-3 mm), 1 % missed echoes
  (gap_mm = -1); nobody under the bar reads the floor (~870 mm).
- Athlete: static load on the bar 62 % (heels on the floor) or 72 % (heels on
  a bench) of body weight plus 85 % of plates at the straight-arm hang, less
  the higher the chest (a body pivoting at its heels: ~30 % less at the top
  with heels on the floor, ~11 % on a bench); the same share of the mass
  times the chest's acceleration (minimum-jerk gap profiles) is the dynamic
  load; a 2-8 % squeeze extra at the top.
- Device clock: micros() = (boot_offset_us + elapsed) mod 2**32; seq per
  sentence type mod 65536; HELLO 0.1 s after a boot.

Ways in: ``SimulatedStation`` (virtual clock), the ``sim://`` pyserial URL
handler (``protocol_sim``, call ``register()``) and the pty runner
(``pty_runner.run_pty`` / ``main_sim``).
"""

from .model import Athlete, RepSpec, SetSpec
from .scenarios import (
    DEFAULT_SCENARIO, Scenario, all_scenarios, describe_scenarios, list_scenarios, make_scenario,
)
from .station import SimulatedStation
from .truth import RepTruth, SetTruth, Truth

__all__ = [
    "DEFAULT_SCENARIO", "Athlete", "RepSpec", "RepTruth", "Scenario", "SetSpec", "SetTruth",
    "SimulatedStation", "Truth", "all_scenarios", "describe_scenarios", "list_scenarios", "make_scenario",
]
