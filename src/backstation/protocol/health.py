"""The station's health (docs/protocol.md §3, "Health: which sensors answer"):
which load cells and which distance sensor answer, from what the station
says and sends. Plain values; the link keeps the current one.

A HELLO starts a new report: its ``distance_sensor`` (``none``: no sensor
answers) and the ``ERR,FORCE<n>,absent`` that follow it. The firmware does
not announce a sensor that comes back, so its data is the sign: a force
channel reported absent reads ``ABSENT_RAW`` in every F, and one F with
another value on it means its HX711 answers again; the firmware sends D only
once it has seen a sensor, so a D after HELLO said ``none`` means one answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .sentences import ABSENT_RAW, NO_DISTANCE_MESSAGE, Hello, absent_force_message


@dataclass(frozen=True, slots=True)
class StationHealth:
    absent_force_channels: tuple[int, ...] = ()   # sorted
    distance_sensor: str | None = None            # HELLO's word; None before any HELLO
    distance_silent: bool = False                 # HELLO said none, and no D since

    @classmethod
    def from_hello(cls, hello: Hello) -> "StationHealth":
        """A new report: the ERRs that follow the HELLO fill in the load cells."""
        return cls((), hello.distance_sensor, not hello.has_distance)

    def with_absent(self, channel: int) -> "StationHealth":
        if channel in self.absent_force_channels:
            return self
        return replace(self, absent_force_channels=tuple(
            sorted((*self.absent_force_channels, channel))))

    def after_samples(self, force_raw: np.ndarray, distance_samples: int) -> "StationHealth":
        """``force_raw``: (n, channels) raw counts just read; a channel with any
        other count than ``ABSENT_RAW`` answers again, as does a distance sensor
        that sent ``distance_samples`` > 0."""
        absent = self.absent_force_channels
        if absent and len(force_raw):
            channels = force_raw.shape[1]
            absent = tuple(ch for ch in absent
                           if ch >= channels or bool((force_raw[:, ch] == ABSENT_RAW).all()))
        silent = self.distance_silent and distance_samples == 0
        if absent == self.absent_force_channels and silent == self.distance_silent:
            return self
        return replace(self, absent_force_channels=absent, distance_silent=silent)

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem that holds now, in a maker's words (each wording's owner
        is ``protocol/sentences.py``); empty when every sensor answers."""
        out = [absent_force_message(ch) for ch in self.absent_force_channels]
        if self.distance_silent:
            out.append(NO_DISTANCE_MESSAGE)
        return tuple(out)

    def to_json(self) -> dict:
        """``record --json``'s and ``replay --json``'s ``health``."""
        return {"force_channels_absent": list(self.absent_force_channels),
                "distance_sensor": self.distance_sensor, "problems": list(self.problems)}
