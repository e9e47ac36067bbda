"""``StationControls``: the app's hands on the simulated station behind an
opened ``sim://`` URL (the bench's moves of ``bench.py``, the scenario's end
and its restart). Each call runs between two reads of the port
(``protocol_sim.operate``), so what it changes shows from the next sample on.
"""

from __future__ import annotations

from .protocol_sim import forget, operate, speed_for_url

SCHEME = "sim://"
# A hold asked for in wall seconds is held this much longer (wall seconds):
# the app sees the touch a display tick or two after the station makes it.
HOLD_MARGIN_S = 1.5


def is_simulated(url: str | None) -> bool:
    return url is not None and url.lower().startswith(SCHEME)


class StationControls:
    def __init__(self, url: str):
        if not is_simulated(url):
            raise ValueError(f"{url!r} is not a simulated station (sim://…)")
        self.url = url

    def hang(self, channel: int, grams: float) -> None:
        """A known mass on one hook (0 takes it off)."""
        operate(self.url, lambda station: station.bench.hang_mass(channel, grams))

    def hang_only(self, channel: int, grams: float) -> None:
        """A known mass on one hook and nothing on the other."""
        def move(station) -> None:
            station.bench.hang_mass(1 - channel, 0.0)
            station.bench.hang_mass(channel, grams)
        operate(self.url, move)

    def hung_grams(self) -> tuple[float, float]:
        return tuple(operate(self.url, lambda station: list(station.bench.hung_grams)))

    def clear_bar(self) -> None:
        """The athlete lets go and leaves the bar empty (hooks untouched)."""
        operate(self.url, lambda station: station.bench.clear_bar())

    def hold_touch(self, hold_wall_s: float) -> None:
        """The athlete pulls up and holds the chest on the bar for at least
        ``hold_wall_s`` of wall time (the station may run faster than that)."""
        speed = speed_for_url(self.url) or 1.0
        operate(self.url, lambda station: station.bench.hold_touch((hold_wall_s + HOLD_MARGIN_S) * speed))

    def touching(self) -> bool:
        return bool(operate(self.url, lambda station: station.bench.touching))

    def resume_scenario(self) -> None:
        operate(self.url, lambda station: station.bench.resume_scenario())

    def scenario_ended(self) -> bool:
        return bool(operate(self.url, lambda station: station.scenario_ended))

    def forget(self) -> None:
        """The next open of this URL starts its scenario from the beginning."""
        forget(self.url)
