"""One recording in progress, the pipeline shared by ``backstation record``
and the desktop app (docs/design.md §5):

    link (reader thread) -> blocks -> analysis (sets, reps) -> storage
                                   -> the caller (plots, counters)

Plain Python; no Qt. The owner calls ``step()`` on its own schedule (the
headless recorder every 100 ms, the app on its display timer) and
``finish()`` once. Storage goes through a writer with ``SessionWriter``'s
interface, so the app can hand it a writer that flushes on another thread.

Replay equals live: every choice that reaches the analysis is either fixed
for the session (contact threshold, body mass, exercise, force rate, distance
sensor: columns of the session row) or stored with the device time it applies
from, taken as the newest sample the analysis had been fed when it was made:
a CAL (calibrations), a software tare (calibrations, source
``software_tare``), a manual set start or end (event ``manual_set``). The set
labels (variant, added load) and the time origin of the ``_s`` times are
stored too (events ``set_labels``, ``time_origin``), so the replayed set and
rep records equal the stored ones. ``replay.py`` applies them all.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from .analysis import (
    AnalysisConfig, AnalysisEvent, AnalysisPipeline, ContactChanged, Rep, RepCompleted, SetEnded,
    SetResult, SetStarted,
)
from .analysis.calibration import ForceCalibration
from .defaults import DEFAULT_CONTACT_MM, DEFAULT_SQUEEZE_MM
from .exercises import DEFAULT_EXERCISE, check_exercise
from .link import (
    CalibrationReceived, Connected, DeviceLink, DeviceRebooted, DeviceRefused, LinkEvent,
    LinkFault, LinkState, ReaderBehind, ReconnectCause, StateChanged, StatReceived,
    StreamResumed, StreamStalled,
)
from .protocol.sentences import NO_DISTANCE_MESSAGE, SLOW_ADC_MAX_HZ, Hello, slow_adc_message
from .protocol.stream import StreamStats
from .samples import DistanceBlock, ForceBlock
from .storage import (
    Database, RepRecord, SessionInfo, SessionWriter, SetRecord, StorageError, utc_iso,
)
from .storage.corrections import Correction, corrected
from .storage.records import LoggedSet, logged_set_fields
from .storage.records import (
    CARRIED_SOURCE, CONTACT_EVENT, EXERCISE_EVENT, HEALTH_EVENT, MANUAL_SET_EVENT,
    READER_BEHIND_EVENT, RESUMED_EVENT, SET_LABELS_EVENT, SETTABLE_STAT_COLUMNS, SHRUG_EVENT,
    SOFTWARE_TARE_SOURCE, STAT_COLUMNS, STALL_EVENT, TIME_ORIGIN_EVENT, shrug_detail,
)

log = logging.getLogger(__name__)


# What the session says when the link starts reconnecting, by cause. A refused
# station and a silent one are already told by the link's LinkFault, which
# says what happened and that it waits: nothing more to say then.
RECONNECTING_MESSAGES = {
    ReconnectCause.PORT_LOST: "station unplugged: waiting for it to come back",
    ReconnectCause.ANOTHER_STATION: None,
    ReconnectCause.SILENT: None,
}


SET_BEGUN_TEXT = "End the set first: the athlete changes between sets"


class SetBegun(Exception):
    """A hand-over refused: the newest samples opened a set (``LiveSession.hand_over``)."""


@dataclass(frozen=True)
class ManualSetRequest:
    """A manual set start (``start``) or end, asked for at device time ``t_us``."""

    start: bool
    t_us: int

    @property
    def detail(self) -> str:
        return "start" if self.start else "end"


@dataclass(frozen=True)
class CalibrationLabel:
    """Which command made a CAL (``source``: tare, cal, setcal) and with what
    known mass; stored beside the session's own row of that CAL."""

    channel: int
    offset_counts: int
    counts_per_newton: float
    source: str
    mass_grams: float | None = None

    def names(self, channel: int, offset_counts: int, counts_per_newton: float) -> bool:
        """Whether this label is of that CAL (same channel and values)."""
        return (channel == self.channel and offset_counts == self.offset_counts
                and abs(counts_per_newton - self.counts_per_newton)
                <= 1e-9 * abs(self.counts_per_newton))


# Said when a labelled CAL never reached the session (its row is what the label sits beside).
UNLABELLED_MESSAGE = ("the session did not record the station's calibration, so its mass "
                      "was not stored")


@dataclass
class SessionOptions:
    athlete: str | None = None
    body_mass_kg: float | None = None
    contact_mm: float | None = None      # None: the athlete's stored threshold, else the default
    squeeze_mm: float | None = None      # the shrug's: None, the athlete's stored, else the default
    exercise: str = DEFAULT_EXERCISE     # the first set's; LiveSession.set_exercise changes it
    variant: str | None = None           # heels-floor, heels-bench
    added_load_kg: float | None = None
    port: str | None = None


@dataclass
class Step:
    """What one ``step()`` collected, for the caller to display."""

    force: ForceBlock
    distance: DistanceBlock
    analysis: list[AnalysisEvent] = field(default_factory=list)
    link: list[LinkEvent] = field(default_factory=list)


def stream_json(stats: StreamStats, stalls: int = 0) -> dict:
    """docs/design.md §6 ``stream``, with the finer counters beside the contract's;
    ``stalls``: the session's StreamStalled events (live: seen, replay: stored)."""
    return {
        "force_samples": stats.force_samples,
        "distance_samples": stats.distance_samples,
        "crc_errors": stats.crc_errors,
        # docs/design.md §3 counts an overlong line as malformed; the split is kept too.
        "malformed": stats.malformed + stats.overlong,
        "overlong": stats.overlong,
        "lost_samples": stats.lost_samples,
        "lost_force": stats.lost_force,
        "lost_distance": stats.lost_distance,
        "reconnects": stats.reconnects,
        "reboots": stats.reboots,
        "stalls": stalls,
    }


def session_json(session_id: int, hello_or_device: dict, stats: StreamStats,
                 sets: list[SetResult], t0_us: int | None, stalls: int = 0,
                 health: dict | None = None) -> dict:
    """``health``: what the station said of its sensors (``StationHealth.to_json``), stored
    as a HEALTH_EVENT so that replay gives it too; ``None`` (sessions recorded
    before it was kept) leaves it out."""
    t0 = t0_us or 0
    out = {"session_id": session_id, "device": hello_or_device,
           "stream": stream_json(stats, stalls),
           "sets": [s.to_json(t0) for s in sets]}
    if health is not None:
        out["health"] = health
    return out


def analysis_config(options: SessionOptions, hello: Hello | None, *,
                    force_rate_hz: float | None = None,
                    distance_sensor: str | None = None) -> AnalysisConfig:
    rate = force_rate_hz if force_rate_hz is not None else (hello.force_rate_hz if hello else 80)
    sensor = distance_sensor if distance_sensor is not None else (
        hello.distance_sensor if hello else "hcsr04")
    return AnalysisConfig(
        body_mass_kg=options.body_mass_kg,
        contact_mm=options.contact_mm if options.contact_mm is not None else DEFAULT_CONTACT_MM,
        force_rate_hz=float(rate), has_distance=sensor != "none", exercise=options.exercise,
        shrug_squeeze_mm=(options.squeeze_mm if options.squeeze_mm is not None
                          else DEFAULT_SQUEEZE_MM))


class SessionJudge:
    """The analysis of one session and the records it leaves in storage.

    Shared by live recording and replay, so both judge alike. Everything a
    caller may change while a session runs goes through a method here that
    also stores it with its device time (a calibration, a software tare, a
    manual set start or end, the set labels), so that ``Replay`` can apply the
    same changes at the same points of the stream. Nobody outside calls the
    pipeline directly.
    """

    def __init__(self, session_id: int, config: AnalysisConfig, channels: int,
                 writer: SessionWriter | None = None, *, variant: str | None = None,
                 added_load_kg: float | None = None):
        self.session_id = session_id
        self.pipeline = AnalysisPipeline(config, channels)
        self.writer = writer
        self.t0_us: int | None = None
        self.last_fed_us: int | None = None
        # (from t_us or None = from the start, variant, added_load_kg), in request order.
        self._labels: list[tuple[int | None, str | None, float | None]] = []
        self._pending_manual: ManualSetRequest | None = None
        self.manual_requests: list[ManualSetRequest] = []
        self._exercise = config.exercise
        if variant is not None or added_load_kg is not None:
            self.set_labels(variant, added_load_kg)

    # -- what the analysis was told ---------------------------------------------

    @property
    def config(self) -> AnalysisConfig:
        """Fixed for the session: the contact threshold, body mass, rates and
        exercise are chosen before it starts and stored on the session row."""
        return self.pipeline.config

    @property
    def contact_mm(self) -> float:
        return self.pipeline.config.contact_mm

    @property
    def calibration(self) -> ForceCalibration:
        """Read-only use (display); change it through ``calibrate`` or ``software_tare``."""
        return self.pipeline.calibration

    @property
    def late_samples(self) -> int:
        """Samples that came behind ones already judged (the device's clock
        stepped back): dropped by the analysis, kept in storage, counted here."""
        return self.pipeline.late_samples

    def calibrate(self, channel: int, offset_counts: int, counts_per_newton: float,
                  t_from_us: int | None = None) -> int | None:
        """Apply a CAL from ``t_from_us`` (default: after the newest sample fed); returns it.
        The caller stores it (it knows the source: device CAL, mass, SETCAL)."""
        if t_from_us is None:
            t_from_us = self.last_fed_us
        self.pipeline.set_calibration(channel, offset_counts, counts_per_newton, t_from_us)
        return t_from_us

    def software_tare(self, t_from_us: int | None = None,
                      offsets: dict[int, int] | None = None) -> int:
        """A new zero kept by the app from ``t_from_us`` (default: the newest
        sample fed); stored as a calibration per channel (source
        ``software_tare``) with the offset it produced, so a replay needs no
        look-back. Raises ValueError (nothing stored) on a loaded bar or no samples."""
        t_from_us = self.last_fed_us if t_from_us is None else int(t_from_us)
        if t_from_us is None:
            raise ValueError("no samples yet: nothing to tare against")
        self.pipeline.software_tare(t_from_us, offsets)
        if self.writer is not None:
            for channel in range(self.pipeline.channels):
                entry = self.pipeline.calibration.at(channel, t_from_us + 1)
                if entry is not None and entry.t_from_us == t_from_us:
                    self.writer.add_calibration(
                        channel, int(round(entry.offset_counts)), entry.counts_per_newton,
                        source=SOFTWARE_TARE_SOURCE, t_device_us=t_from_us)
        return t_from_us

    # -- manual sets ----------------------------------------------------------------

    def start_set(self, t_us: int | None = None) -> list[AnalysisEvent]:
        """A manual set from ``t_us`` (default: the newest sample fed) that only
        ``end_set`` ends. Stored as a ``manual_set`` event. Before any sample
        there is no time to start at: nothing happens."""
        return self._manual_set(True, t_us)

    def end_set(self, t_us: int | None = None) -> list[AnalysisEvent]:
        """Ends the open set at ``t_us`` (default: the newest sample fed)."""
        return self._manual_set(False, t_us)

    @property
    def current_set(self) -> SetResult | None:
        """The open set as far as the analysis has got (a manual start may be
        queued ahead of it: see ``in_set``)."""
        return self.pipeline.current_set

    @property
    def in_set(self) -> bool:
        """Whether a set is open, counting a manual start or end that was
        asked for but that the analysis has not reached yet."""
        if self._pending_manual is not None:
            return self._pending_manual.start
        return self.pipeline.current_set is not None

    def _manual_set(self, start: bool, t_us: int | None) -> list[AnalysisEvent]:
        t_us = self.last_fed_us if t_us is None else int(t_us)
        if t_us is None:
            return []
        request = ManualSetRequest(start, t_us)
        self.manual_requests.append(request)
        self._pending_manual = request
        if self.writer is not None:
            self.writer.add_event(MANUAL_SET_EVENT, request.detail, t_host_s=time.time(),
                                  t_device_us=t_us)
        events = self.pipeline.start_set(t_us) if start else self.pipeline.end_set(t_us)
        self._record(events)
        return events

    # -- the exercise, per set ---------------------------------------------------------

    def set_exercise(self, exercise: str, t_us: int | None = None) -> list[AnalysisEvent]:
        """The exercise of the sets the analysis opens from ``t_us`` on
        (default: the newest sample fed; before any sample, from the start);
        a set already open keeps its own. Stored as an ``exercise`` event so
        that a replay judges every set by the same exercise. ValueError for
        an exercise the station does not judge (nothing stored)."""
        check_exercise(exercise)
        t_us = self.last_fed_us if t_us is None else int(t_us)
        self._exercise = exercise
        if self.writer is not None:
            self.writer.add_event(EXERCISE_EVENT, exercise, t_host_s=time.time(),
                                  t_device_us=t_us)
        events = self.pipeline.set_exercise(exercise, t_us)
        self._record(events)
        return events

    @property
    def exercise(self) -> str:
        """The exercise chosen last: the next set's."""
        return self._exercise

    # -- set labels (not judgement, but stored with each set) ------------------------

    def set_labels(self, variant: str | None, added_load_kg: float | None,
                   t_us: int | None = None) -> None:
        """Variant and added load for every set that ends after ``t_us``
        (default: the newest sample fed), the open one included. Stored as a
        ``set_labels`` event so a replay labels the same sets."""
        t_us = self.last_fed_us if t_us is None else int(t_us)
        self._labels.append((t_us, variant, added_load_kg))
        if self.writer is not None:
            detail = json.dumps({"variant": variant, "added_load_kg": added_load_kg},
                                sort_keys=True)
            self.writer.add_event(SET_LABELS_EVENT, detail, t_host_s=time.time(),
                                  t_device_us=t_us)

    @property
    def variant(self) -> str | None:
        return self._labels[-1][1] if self._labels else None

    @property
    def added_load_kg(self) -> float | None:
        return self._labels[-1][2] if self._labels else None

    def _labels_for(self, s: SetResult) -> tuple[str | None, float | None]:
        for t_us, variant, added_load_kg in reversed(self._labels):
            if t_us is None or s.t_end_us is None or t_us < s.t_end_us:
                return variant, added_load_kg
        return None, None

    # -- samples in, records out ------------------------------------------------------

    def feed(self, force: ForceBlock, distance: DistanceBlock) -> list[AnalysisEvent]:
        firsts = [b.t_device_us[0] for b in (force, distance) if len(b)]
        if firsts and self.t0_us is None:
            self.t0_us = int(min(firsts))
            if self.writer is not None:
                # Every stored time in seconds counts from here: kept so a replay
                # counts from the same sample whatever the first block held.
                self.writer.add_event(TIME_ORIGIN_EVENT, "", t_host_s=time.time(),
                                      t_device_us=self.t0_us)
        if len(force):
            self.last_fed_us = int(force.t_device_us[-1])
        events = self.pipeline.feed(force, distance)
        self._record(events)
        return events

    def finish(self) -> list[AnalysisEvent]:
        events = self.pipeline.finish()
        self._record(events)
        return events

    @property
    def sets(self) -> list[SetResult]:
        return list(self.pipeline.sets)

    def _record(self, events: list[AnalysisEvent]) -> None:
        for event in events:
            if isinstance(event, (SetStarted, SetEnded)):
                t_us = event.t_us if isinstance(event, SetStarted) else event.set.t_end_us
                pending = self._pending_manual
                if pending is not None and t_us is not None and t_us >= pending.t_us:
                    self._pending_manual = None
        if self.writer is None:
            return
        for event in events:
            if isinstance(event, ContactChanged):
                # Kept so an export can flag contact per sample without re-judging.
                self.writer.add_event(CONTACT_EVENT, "on" if event.in_contact else "off",
                                      t_host_s=time.time(), t_device_us=event.t_us)
            elif isinstance(event, (SetStarted, SetEnded)):
                current = event.set if isinstance(event, SetEnded) else self.pipeline.current_set
                if current is not None:
                    self.writer.add_set(self.set_record(current))
            elif isinstance(event, RepCompleted):
                self.writer.add_rep(self.rep_record(event.rep))
                current = self.pipeline.current_set
                if current is not None:
                    self.writer.add_set(self.set_record(current))

    def rep_record(self, rep: Rep) -> RepRecord:
        return RepRecord(
            session_id=self.session_id, set_index=rep.set_index, rep_index=rep.index,
            valid=rep.valid, reason=rep.reason, t_start_us=rep.t_start_us,
            t_end_us=rep.t_end_us, peak_force_n=rep.peak_force_n,
            min_gap_mm=rep.min_gap_mm, metrics=rep.to_json(self.t0_us or 0))

    def set_record(self, s: SetResult) -> SetRecord:
        metrics = s.to_json(self.t0_us or 0)
        metrics.pop("reps", None)
        variant, added_load_kg = self._labels_for(s)
        return SetRecord(session_id=self.session_id, set_index=s.index, exercise=s.exercise,
                         variant=variant, added_load_kg=added_load_kg,
                         manual=s.manual, t_start_us=s.t_start_us, t_end_us=s.t_end_us,
                         valid_reps=s.valid_reps, no_reps=s.no_reps, metrics=metrics)


class LiveSession:
    """A session being recorded from an open ``DeviceLink``."""

    def __init__(self, db: Database, link: DeviceLink, options: SessionOptions, *,
                 writer_factory: Callable[[Database, int], SessionWriter] = SessionWriter,
                 on_message: Callable[[str], None] = lambda m: log.warning("%s", m),
                 carried: ForceCalibration | None = None):
        """``carried``: the calibration in force where the previous session on
        this link ended (``hand_over``): each channel's is stored as this
        session's from its start, and the stream counters count from now."""
        hello = link.hello
        assert hello is not None, "open the link first"
        self.link = link
        self.options = options
        self._say = on_message
        self._db = db
        self._writer_factory = writer_factory
        self.stalls = 0                 # StreamStalled events seen: "stalls" in the JSON
        # The link's counters when this session began (a hand-over), else None:
        # a session opened with its link counts everything the link has.
        self._stats_base = link.stats if carried is not None else None
        self._fed = (0, 0)              # force and distance samples this session was fed
        # Its sample counts are those fed, not the link's: it shares the link (a hand-over).
        self._counts_fed = carried is not None
        athlete = (db.get_or_create_athlete(options.athlete, options.body_mass_kg)
                   if options.athlete else None)
        if athlete is not None:
            options.athlete = athlete.name         # as the roster spells it
        if options.body_mass_kg is None and athlete is not None:
            options.body_mass_kg = athlete.body_mass_kg
        if options.contact_mm is None and athlete is not None:
            options.contact_mm = athlete.contact_mm
        if options.squeeze_mm is None and athlete is not None:
            options.squeeze_mm = athlete.squeeze_mm
        config = analysis_config(options, hello)
        self.session_id = db.create_session(
            athlete=athlete, body_mass_kg=options.body_mass_kg, exercise=options.exercise,
            device_id=hello.device_id, firmware=hello.firmware, protocol=hello.protocol,
            force_channels=hello.force_channels, force_rate_hz=hello.force_rate_hz,
            distance_sensor=hello.distance_sensor, port=options.port or link.url,
            contact_mm=config.contact_mm)
        self.writer = writer_factory(db, self.session_id)
        # The shrug's judge as told (the athlete's squeeze depth), kept for replay.
        self.writer.add_event(SHRUG_EVENT, shrug_detail(config.shrug_squeeze_mm,
                                                        config.shrug_hold_s),
                              t_host_s=time.time())
        self.judge = SessionJudge(self.session_id, config, hello.force_channels, self.writer,
                                  variant=options.variant, added_load_kg=options.added_load_kg)
        self.device = {"device_id": hello.device_id, "firmware": hello.firmware,
                       "protocol": hello.protocol}
        # Every CAL stored (channel, offset, scale, t_from_us) and the labels
        # waiting for theirs: see label_calibration.
        self._cals: list[tuple[int, int, float, int | None]] = []
        self._labels_waiting: list[tuple[CalibrationLabel, Callable[[bool, str], None]]] = []
        self._corrections: list[Correction] = []
        self._logged_sets: list[LoggedSet] = []      # log_set: stored with the next flush
        if carried is not None:
            self._carry(carried)
        elif not hello.has_distance:
            self._say(NO_DISTANCE_MESSAGE)
        if carried is None and hello.force_rate_hz <= SLOW_ADC_MAX_HZ:
            self._say(slow_adc_message(hello.force_rate_hz))

    def _carry(self, calibration: ForceCalibration) -> None:
        for channel in range(min(calibration.channels, self.judge.pipeline.channels)):
            entry = calibration.newest(channel)
            if entry is None:
                continue
            offset = int(round(entry.offset_counts))
            self.judge.calibrate(channel, offset, entry.counts_per_newton, t_from_us=None)
            self.writer.add_calibration(channel, offset, entry.counts_per_newton,
                                        source=CARRIED_SOURCE, t_device_us=None)
            self._cals.append((channel, offset, entry.counts_per_newton, None))

    def hand_over(self, options: SessionOptions,
                  db: Database | None = None) -> tuple[dict | None, "LiveSession"]:
        """End this session between sets and begin the next on the same link,
        which keeps streaming (another athlete steps up: their body mass and
        contact threshold are the new session's). The next session is begun
        first, in ``db`` (default: this one's; a writer on its own thread wants
        its own connection): if it cannot be (a name or mass refused,
        ValueError; the database, StorageError), or if the newest samples
        opened a set (``SetBegun``), nothing has changed and this session goes
        on. Then this one is finished: its JSON (``finish``), or None if its
        last save failed (said; it ends as interrupted). The next session
        carries the calibration in force and counts the stream from here."""
        options.port = self.options.port
        following = LiveSession(db or self._db, self.link, options,
                                writer_factory=self._writer_factory, on_message=self._say,
                                carried=self.judge.calibration)
        try:
            self.step()
            begun = self.judge.in_set
        except BaseException:
            following.discard()
            raise
        if begun:
            following.discard()
            raise SetBegun(SET_BEGUN_TEXT)
        following._stats_base = self.link.stats     # what the link counts from now is theirs
        self._counts_fed = True         # the link goes on: its samples are counted as fed
        try:
            result = self._close_out()
        except StorageError as exc:
            self._say(f"session {self.session_id}: its last samples could not be saved ({exc})")
            try:
                self._db.abandon_session(self.session_id)
            except StorageError:
                pass                # closed as interrupted when the database is opened next
            result = None
        return result, following

    def discard(self) -> None:
        """Undo a session begun for a hand-over that did not happen: its writer
        stopped, its row (no sample yet) deleted."""
        self.writer.close()
        try:
            self._db.delete_session(self.session_id)
        except StorageError as exc:
            log.warning("session %s, begun for nothing, stays empty: %s", self.session_id, exc)

    @property
    def stats(self) -> StreamStats:
        """The link's stream counters since this session began; after a
        hand-over the samples are the ones this session was fed."""
        stats = self.link.stats
        if not self._counts_fed:
            return stats
        base = self._stats_base or StreamStats()
        since = {name: value - getattr(base, name) for name, value in vars(stats).items()}
        since.update(force_samples=self._fed[0], distance_samples=self._fed[1])
        return StreamStats(**since)

    # -- the public face: what a caller (the app, monitor) reads and asks for ----------
    # Callers use these, never ``judge`` or its pipeline: the judge stores every
    # change with its device time, for replay, and that stays its business.

    def start_set(self) -> list[AnalysisEvent]:
        """A manual set from the newest sample judged; call ``step()`` first so
        that it starts at the newest sample received. Stored for replay."""
        return self.judge.start_set()

    def end_set(self) -> list[AnalysisEvent]:
        """Ends the open set at the newest sample judged (see ``start_set``)."""
        return self.judge.end_set()

    @property
    def in_set(self) -> bool:
        """A set is open, or a manual start was asked for that the analysis has not reached."""
        return self.judge.in_set

    @property
    def current_set(self) -> SetResult | None:
        """The open set as far as the analysis has got."""
        return self.judge.current_set

    @property
    def sets(self) -> list[SetResult]:
        """Every set ended so far (a copy; the open one is ``current_set``)."""
        return self.judge.sets

    def _sets_so_far(self) -> list[SetResult]:
        current = self.judge.current_set
        return self.judge.sets + ([current] if current is not None else [])

    @property
    def newest_rep(self) -> tuple[int, int] | None:
        """(set, rep) of the newest rep reported; None before any."""
        return next(((s.index, s.reps[-1].index) for s in reversed(self._sets_so_far())
                     if s.reps), None)

    @property
    def calibration(self) -> ForceCalibration:
        """Raw counts to newtons as judged (device CALs, software tares); read only."""
        return self.judge.calibration

    @property
    def t0_us(self) -> int | None:
        """The device time the session's ``_s`` times count from; None before any sample."""
        return self.judge.t0_us

    @property
    def last_fed_us(self) -> int | None:
        """The device time of the newest force sample judged; None before any."""
        return self.judge.last_fed_us

    @property
    def contact_mm(self) -> float:
        """The contact threshold, fixed for the session."""
        return self.judge.contact_mm

    @property
    def body_mass_kg(self) -> float | None:
        return self.options.body_mass_kg

    @property
    def athlete(self) -> str | None:
        """The athlete's name as the session was asked for (None: nobody named)."""
        return self.options.athlete

    @property
    def late_samples(self) -> int:
        """Samples that came too late to judge (kept in storage)."""
        return self.judge.late_samples

    @property
    def variant(self) -> str | None:
        return self.judge.variant

    @property
    def added_load_kg(self) -> float | None:
        return self.judge.added_load_kg

    def label_calibration(self, label: CalibrationLabel,
                          done: Callable[[bool, str], None] = lambda ok, why: None) -> None:
        """Store which command made a CAL, and its known mass: a row (source
        ``label.source``) beside the session's own row of that CAL, at the same
        point of the time axis with the same values, so replay and export are
        unchanged. The CAL may not have been drained yet: then the label waits
        for it and is stored in the step that stores the CAL. ``done(True, "")``
        once stored; ``done(False, why)`` if the session ends without that CAL.
        Called on the thread that calls ``step()``."""
        for channel, offset, scale, t_from_us in reversed(self._cals):
            if label.names(channel, offset, scale):
                self._store_label(label, t_from_us)
                done(True, "")
                return
        self._labels_waiting.append((label, done))

    def _store_label(self, label: CalibrationLabel, t_from_us: int | None) -> None:
        self.writer.add_calibration(label.channel, label.offset_counts, label.counts_per_newton,
                                    source=label.source, t_device_us=t_from_us,
                                    mass_grams=label.mass_grams)

    def _calibration_stored(self, channel: int, offset: int, scale: float,
                            t_from_us: int | None) -> None:
        self._cals.append((channel, offset, scale, t_from_us))
        waiting = []
        for label, done in self._labels_waiting:
            if label.names(channel, offset, scale):
                self._store_label(label, t_from_us)
                done(True, "")
            else:
                waiting.append((label, done))
        self._labels_waiting = waiting

    # -- a coach's corrections (storage/corrections.py) ------------------------------

    def correct(self, set_index: int, rep_index: int | None, action: str) -> None:
        """Overrule the judge on a rep reported so far (``rep_index`` None:
        delete its set). Stored with the next flush, after the rep; ValueError
        for a rep not reported or an action that cannot be."""
        reported = {(s.index, r.index) for s in self._sets_so_far() for r in s.reps}
        if (rep_index is None and set_index not in {k[0] for k in reported}) or (
                rep_index is not None and (set_index, rep_index) not in reported):
            what = f"set {set_index}" if rep_index is None else f"rep {set_index}.{rep_index}"
            raise ValueError(f"no {what} has been reported in this session")
        self.writer.add_correction(set_index, rep_index, action)
        self._corrections.append(Correction(len(self._corrections), self.session_id,
                                            set_index, rep_index, action, utc_iso()))

    def note_set(self, set_index: int, rpe: float | None, notes: str | None) -> None:
        """The athlete's RPE (1-10) and the coach's note on a set of this
        session, stored with the next flush (either None: the set's stays);
        ValueError for a set not begun or an RPE off the scale."""
        if set_index not in {s.index for s in self._sets_so_far()}:
            raise ValueError(f"no set {set_index} in this session")
        self.writer.add_set_note(set_index, rpe, notes)

    def log_set(self, exercise: str, reps: int, load_kg: float | None = None,
                hold_s: float | None = None, rpe: float | None = None,
                notes: str | None = None) -> LoggedSet:
        """A set of an exercise done away from the bar (exercises.LOGGED_EXERCISES),
        logged by hand: stored with the next flush, placed among the station's
        sets at the newest sample judged (Database.add_logged_set). ValueError
        in one line for a value that cannot be, before anything is queued."""
        fields = logged_set_fields(exercise, reps, load_kg, hold_s, rpe, notes)
        now = datetime.now(timezone.utc)
        entry = LoggedSet(self.session_id, len(self._logged_sets) + 1, logged_at=utc_iso(now),
                          t_device_us=self.last_fed_us, **fields)
        self.writer.add_logged_set(**fields, t_device_us=entry.t_device_us, logged_at=now)
        self._logged_sets.append(entry)
        return entry

    @property
    def logged_sets(self) -> list[LoggedSet]:
        """The sets logged by hand in this session so far, in the order logged."""
        return list(self._logged_sets)

    def undo_correction(self) -> Correction | None:
        """Take back the newest correction made here; None if there is none."""
        if not self._corrections:
            return None
        self.writer.undo_correction()
        return self._corrections.pop()

    @property
    def corrections(self) -> list[Correction]:
        return list(self._corrections)

    def corrected_records(self) -> tuple[list[SetRecord], list[RepRecord]]:
        """The sets and reps so far as the coach left them (what History will show)."""
        so_far = self._sets_so_far()
        sets = [self.judge.set_record(s) for s in so_far]
        reps = [self.judge.rep_record(r) for s in so_far for r in s.reps]
        return corrected(sets, reps, self._corrections)

    def set_exercise(self, exercise: str) -> list[AnalysisEvent]:
        """The exercise of the sets that begin from now on (the open one keeps
        its own); stored with its device time, so replay judges alike."""
        events = self.judge.set_exercise(exercise)
        self.options.exercise = exercise
        return events

    @property
    def exercise(self) -> str:
        return self.judge.exercise

    def set_labels(self, variant: str | None, added_load_kg: float | None) -> None:
        """Variant and added load for sets ending from now on (the open one included)."""
        self.options.variant = variant
        self.options.added_load_kg = added_load_kg
        self.judge.set_labels(variant, added_load_kg)

    def step(self) -> Step:
        """Drain the link once: events first (a CAL applies after what was fed), then samples."""
        events = self.link.drain_events()
        for event in events:
            self._on_link_event(event)
        force, distance = self.link.drain()
        self._fed = (self._fed[0] + len(force), self._fed[1] + len(distance))
        self.writer.add_force(force)
        self.writer.add_distance(distance)
        analysis = self.judge.feed(force, distance)
        self.writer.update_stats(**session_counters(self.stats))
        return Step(force, distance, analysis, events)

    def finish(self) -> dict:
        """STOP (every sample before its ACK is read), what the chatter limit
        held back, the last samples, the last judgement, the final flush.
        Returns the session as docs/design.md §6 JSON."""
        return self._finish(stop_link=True)

    def _finish(self, *, stop_link: bool) -> dict:
        from .link import LinkError
        if stop_link:
            try:
                if self.link.state is LinkState.STREAMING:
                    self.link.stop()
            except LinkError as exc:
                log.info("STOP not acknowledged: %s", exc)
            # Said and stored now: after this step nobody drains the link's events.
            self.link.report_held_back()
        self.step()
        return self._close_out()

    def _close_out(self) -> dict:
        """After the last step: the last judgement, the final flush; the JSON."""
        for _label, done in self._labels_waiting:
            done(False, UNLABELLED_MESSAGE)
        self._labels_waiting = []
        self.judge.finish()
        stats = self.stats
        health = self.link.health.to_json()
        self.writer.add_event(HEALTH_EVENT, json.dumps(health), t_host_s=time.time())
        self.writer.finish(**session_counters(stats))
        return session_json(self.session_id, self.device, stats, self.judge.sets,
                            self.judge.t0_us, self.stalls, health)

    def _on_link_event(self, event: LinkEvent) -> None:
        writer = self.writer
        t = event.t_host_s
        if isinstance(event, CalibrationReceived):
            cal = event.cal
            t_from = self.judge.calibrate(cal.channel, cal.offset_counts, cal.counts_per_newton)
            writer.add_calibration(cal.channel, cal.offset_counts, cal.counts_per_newton,
                                   t_device_us=t_from)
            self._calibration_stored(cal.channel, cal.offset_counts, cal.counts_per_newton,
                                     t_from)
        elif isinstance(event, StatReceived):
            s = event.stat
            writer.add_event("stat", f"force_hz={s.force_hz:.2f} distance_hz={s.distance_hz:.2f} "
                             f"missed={s.missed_samples} tx_overflows={s.tx_overflows}",
                             t_host_s=t)
        elif isinstance(event, StateChanged):
            writer.add_event("state", event.state.value, t_host_s=t)
            if event.state is LinkState.RECONNECTING:
                message = RECONNECTING_MESSAGES[event.cause or ReconnectCause.PORT_LOST]
                if message is not None:
                    self._say(message)
        elif isinstance(event, Connected) and event.reconnects:
            writer.add_event("reconnected", f"{event.hello.device_id} on {event.port}",
                             t_host_s=t)
            self._say(f"station {event.hello.device_id} back on {event.port}")
        elif isinstance(event, DeviceRebooted):
            writer.add_event("reboot", event.hello.device_id, t_host_s=t)
        elif isinstance(event, DeviceRefused):
            detail = (f"{event.port} answered as station {event.found_device_id}, not "
                      f"{event.expected_device_id}: not adopted")
            writer.add_event("device_refused", detail, t_host_s=t)
            self._say(detail)
        elif isinstance(event, StreamStalled):
            self.stalls += 1
            writer.add_event(STALL_EVENT, f"quiet_s={event.quiet_s:.2f}", t_host_s=t)
            self._say(event.message)
        elif isinstance(event, StreamResumed):
            writer.add_event(RESUMED_EVENT, f"stalled_s={event.stalled_s:.2f}", t_host_s=t)
            self._say(event.message)
        elif isinstance(event, ReaderBehind):
            writer.add_event(READER_BEHIND_EVENT, f"backlog_s={event.backlog_s:.2f}",
                             t_host_s=t)
            self._say(event.message)
        elif isinstance(event, LinkFault):
            writer.add_event("fault", event.message, t_host_s=t)
            self._say(event.message)


def session_counters(stats: StreamStats) -> dict[str, int]:
    """The stream counters the session row keeps (sample counts follow the stored chunks)."""
    return {column: getattr(stats, column) for column in SETTABLE_STAT_COLUMNS}


def stored_stats(info: SessionInfo) -> StreamStats:
    """A stored session's stream counters, read back from its row (``session_counters``)."""
    return StreamStats(**{column: getattr(info, column) for column in STAT_COLUMNS})
