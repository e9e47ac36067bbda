"""Headless recording: a station's stream into a stored session.

The same pipeline runs behind ``backstation record`` and (later) the GUI:
link (reader thread) -> sample blocks -> SessionWriter (a commit at least
once a second). Plain Python; no Qt.

Shutdown order: stop requested -> STOP sent and its ACK awaited (every
sample sent before it has been read) -> the last blocks drained -> the
writer's final flush -> the session finished -> the link closed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .link import (
    CalibrationReceived, Connected, DeviceLink, DeviceRebooted, DeviceRefused, LinkError,
    LinkEvent, LinkFault, LinkState, StateChanged, StatReceived,
)
from .protocol.stream import StreamStats
from .storage import Database, SessionWriter

log = logging.getLogger(__name__)

DRAIN_INTERVAL_S = 0.1
DEFAULT_BAUD = 250_000


@dataclass
class RecordOptions:
    port: str
    baud: int = DEFAULT_BAUD
    athlete: str | None = None
    body_mass_kg: float | None = None
    exercise: str = "inverted-row"
    duration_s: float | None = None


@dataclass
class RecordResult:
    session_id: int
    device: dict
    stats: StreamStats
    sets: list = field(default_factory=list)

    def to_json(self) -> dict:
        s = self.stats
        return {
            "session_id": self.session_id,
            "device": self.device,
            "stream": {
                "force_samples": s.force_samples,
                "distance_samples": s.distance_samples,
                "crc_errors": s.crc_errors,
                # DESIGN §3 counts an overlong line as malformed; the split is kept too.
                "malformed": s.malformed + s.overlong,
                "overlong": s.overlong,
                "lost_samples": s.lost_samples,
                "lost_force": s.lost_force,
                "lost_distance": s.lost_distance,
                "reconnects": s.reconnects,
                "reboots": s.reboots,
            },
            "sets": self.sets,
        }


def _say(message: str) -> None:
    log.warning("%s", message)


class Recorder:
    """Runs one recording: opens the link, stores the stream, stops cleanly.

    ``on_tick`` (optional) is called after every drain with the blocks just
    read, for a live display; it runs on the recording thread.
    """

    def __init__(self, db: Database, options: RecordOptions, *,
                 link_factory: Callable[..., DeviceLink] = DeviceLink,
                 on_tick: Callable[["Recorder", object, object], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.db = db
        self.options = options
        self._link_factory = link_factory
        self._on_tick = on_tick
        self._clock = clock
        self.link: DeviceLink | None = None
        self.writer: SessionWriter | None = None
        self.session_id: int | None = None

    def run(self, stop: threading.Event) -> RecordResult:
        """Record until ``stop`` is set or the duration has passed.

        Raises ``LinkError`` if the station cannot be opened (nothing is
        stored then) and ``StorageError`` if the database cannot be written.
        """
        opts = self.options
        link = self._link_factory(opts.port, baudrate=opts.baud)
        hello = link.open()
        self.link = link
        try:
            athlete = (self.db.get_or_create_athlete(opts.athlete, opts.body_mass_kg)
                       if opts.athlete else None)
            self.session_id = self.db.create_session(
                athlete=athlete, body_mass_kg=opts.body_mass_kg, exercise=opts.exercise,
                device_id=hello.device_id, firmware=hello.firmware, protocol=hello.protocol,
                force_channels=hello.force_channels, force_rate_hz=hello.force_rate_hz,
                distance_sensor=hello.distance_sensor, port=opts.port)
            self.writer = SessionWriter(self.db, self.session_id)
            if hello.force_rate_hz <= 10:
                _say(f"the load cells run at {hello.force_rate_hz} SPS: tie the HX711 RATE pin "
                     "high for 80 SPS (rate of force development needs it)")
            link.start()
            self._loop(stop)
        finally:
            self._shut_down()
        return RecordResult(
            session_id=self.session_id,
            device={"device_id": hello.device_id, "firmware": hello.firmware,
                    "protocol": hello.protocol},
            stats=link.stats)

    def _loop(self, stop: threading.Event) -> None:
        deadline = (None if self.options.duration_s is None
                    else self._clock() + self.options.duration_s)
        while not stop.is_set():
            wait_s = DRAIN_INTERVAL_S
            if deadline is not None:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                wait_s = min(wait_s, remaining)
            stop.wait(wait_s)
            self._drain()
            self.writer.flush_if_due()

    def _drain(self) -> None:
        link, writer = self.link, self.writer
        for event in link.drain_events():
            self._on_event(event)
        force, distance = link.drain()
        writer.add_force(force)
        writer.add_distance(distance)
        writer.update_stats(**_session_counters(link.stats))
        if self._on_tick is not None:
            self._on_tick(self, force, distance)

    def _on_event(self, event: LinkEvent) -> None:
        writer = self.writer
        t = event.t_host_s
        if isinstance(event, CalibrationReceived):
            cal = event.cal
            writer.add_calibration(cal.channel, cal.offset_counts, cal.counts_per_newton,
                                   t_device_us=event.t_device_us)
        elif isinstance(event, StatReceived):
            s = event.stat
            writer.add_event("stat", f"force_hz={s.force_hz:.2f} distance_hz={s.distance_hz:.2f} "
                             f"missed={s.missed_samples} tx_overflows={s.tx_overflows}",
                             t_host_s=t)
        elif isinstance(event, StateChanged):
            writer.add_event("state", event.state.value, t_host_s=t)
            if event.state is LinkState.RECONNECTING:
                _say("station unplugged: waiting for it to come back (Ctrl-C to stop)")
        elif isinstance(event, Connected):
            if event.reconnects:
                writer.add_event("reconnected", f"{event.hello.device_id} on {event.port}",
                                 t_host_s=t)
                _say(f"station {event.hello.device_id} back on {event.port}")
        elif isinstance(event, DeviceRebooted):
            writer.add_event("reboot", event.hello.device_id, t_host_s=t)
        elif isinstance(event, DeviceRefused):
            detail = (f"{event.port} answered as station {event.found_device_id}, not "
                      f"{event.expected_device_id}: not adopted")
            writer.add_event("device_refused", detail, t_host_s=t)
            _say(detail)
        elif isinstance(event, LinkFault):
            writer.add_event("fault", event.message, t_host_s=t)
            _say(event.message)

    def _shut_down(self) -> None:
        link, writer = self.link, self.writer
        if writer is not None:
            try:
                link.stop()
            except LinkError as exc:
                log.info("STOP not acknowledged: %s", exc)
            self._drain()
        link.close()
        if writer is not None:
            self._drain()
            writer.finish(**_session_counters(link.stats))


def _session_counters(stats: StreamStats) -> dict[str, int]:
    """The stream counters the session row keeps (sample counts follow the stored chunks)."""
    return {"crc_errors": stats.crc_errors, "malformed": stats.malformed,
            "overlong": stats.overlong, "lost_force": stats.lost_force,
            "lost_distance": stats.lost_distance, "reconnects": stats.reconnects,
            "reboots": stats.reboots}
