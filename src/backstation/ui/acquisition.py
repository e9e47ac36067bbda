"""``AcquisitionController``: the one Qt object between a station and the app.

ACQ4's thin Qt wrapper over the link (STYLE, habits 2 and 4). Three threads,
each with one owner:

- the GUI thread runs a ``QTimer`` every ``DRAIN_INTERVAL_MS``: it calls
  ``LiveSession.step()`` (drain the link, judge, queue for storage), fills
  the session buffers and emits batched signals, one set per tick;
- a command thread (``CommandThread``, owned here) runs everything that
  blocks: opening the link (up to ~4 s), TARE/CAL (up to ~4 s), PING, and
  the shutdown; it never touches Qt;
- the storage thread of ``ThreadedWriter`` does every disk write.

What those threads produce for the GUI (a command's result, a message, a
storage failure) comes back one way: through a ``GuiDelivery``
(``ui/delivery.py``), run on the GUI thread in the order it arrived. Each
command returns its own ``Future``: the caller hears its own reply, never
another caller's (``command_finished``/``command_failed`` still tell
everyone, for the status line).

Shutdown order (``disconnect()``, and ``close()`` which waits for it):
stop the step timer (the GUI stops touching the session) -> ``finish()`` the
session on the command thread (STOP, last samples, last judgement, final
flush) -> close the link (joins its reader) -> stop the storage thread
(joins it) -> close the database -> stop the command thread (joins it).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ..analysis import ContactChanged, RepCompleted, SetEnded, SetStarted
from ..device.sim.controls import StationControls, is_simulated
from ..exercises import exercise_text
from ..link import (
    DeviceLink, HealthChanged, LinkError, LinkState, StateChanged, StreamResumed, StreamStalled,
)
from ..protocol.sentences import SLOW_ADC_MAX_HZ
from ..protocol.stream import StreamStats
from ..session import SET_BEGUN_TEXT, CalibrationLabel, LiveSession, SessionOptions, Step
from ..storage import Database, StorageError
from ..storage.connection import DEFAULT_BUSY_TIMEOUT_S
from ..storage.records import athlete_name, note_text
from ..storage.records import body_mass_kg as checked_body_mass
from ..storage.patient import MAX_UNSAVED_S
from ..storage.threaded_writer import ThreadedWriter
from ..vocabulary import logged_set_text
from .buffers import SessionBuffers
from .command_thread import CommandThread
from .delivery import Future, GuiDelivery

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 30
HEALTH_INTERVAL_S = 0.5      # stats_changed at most this often
PING_INTERVAL_S = 5.0        # latency figure for the status bar
CLOSE_TIMEOUT_S = 12.0       # close() waits this long for the shutdown
CHANGE_ATHLETE_IN_SET = SET_BEGUN_TEXT
CHANGE_ATHLETE_SAVING_FAILS = ("Saving is failing: the athlete changes once it works again "
                               "(the session goes on)")


@dataclass(frozen=True)
class StreamHealth:
    """What the status bar shows, one snapshot per ``stats_changed``."""

    stats: StreamStats
    force_hz: float | None = None         # measured by the device (STAT)
    distance_hz: float | None = None
    nominal_force_rate_hz: int | None = None
    latency_ms: float | None = None       # last PING round trip
    missed_samples: int = 0               # the device's own count (STAT)
    storage_error: str | None = None

    @property
    def slow_force_rate_hz(self) -> int | None:
        """The load cells' rate when the HX711 RATE pin is low (HELLO says so, or
        STAT measures well under 80 SPS); None at the fast rate."""
        nominal = self.nominal_force_rate_hz
        if nominal is not None and nominal <= SLOW_ADC_MAX_HZ:
            return nominal
        if self.force_hz is not None and 0 < self.force_hz < 2 * SLOW_ADC_MAX_HZ:
            return round(self.force_hz)
        return None


@dataclass
class _Live:
    """What one connection owns; handed from the command thread to the GUI."""

    url: str
    link: DeviceLink
    db: Database
    session: LiveSession
    writer: ThreadedWriter
    generation: int = 0
    emitted_reps: int = 0
    sets_open: set[int] = field(default_factory=set)
    # change_athlete: the command thread is ending this session and beginning the
    # next on the same link; nobody else steps it meanwhile.
    handing_over: bool = False
    scenario_ended: bool = False          # a simulated station's scenario ran out (said once)


class AcquisitionController(QObject):
    connection_started = Signal(str)          # url
    connected = Signal(object)                # Hello
    connection_failed = Signal(str)           # the LinkError's message
    disconnected = Signal(object)             # the session's JSON (dict) or None
    stepped = Signal(object)                  # Step
    rep_completed = Signal(object)            # analysis.Rep
    set_started = Signal(object)              # analysis.SetStarted
    set_ended = Signal(object)                # analysis.SetResult
    contact_changed = Signal(object)          # analysis.ContactChanged
    state_changed = Signal(object)            # LinkState
    link_lost = Signal(object)                # ReconnectCause: why it is reconnecting
    stream_stalled = Signal(object)           # link.StreamStalled
    stream_resumed = Signal(object)           # link.StreamResumed
    stats_changed = Signal(object)            # StreamHealth
    station_health_changed = Signal(object)   # protocol.health.StationHealth: its sensors
    message_posted = Signal(str)              # said in the window's toast (ui/toast.py)
    storage_failed = Signal(str)              # saving fails (samples kept, retried) or failed
    storage_recovered = Signal(str)           # saving works again: what to say
    recording_stopped = Signal(str)           # saving failed past the bound: why it stopped
    command_finished = Signal(str, object)    # name, result
    command_failed = Signal(str, str)         # name, message
    # A coach's correction made or undone: (sets, reps) so far as the coach left them
    # (storage SetRecord / RepRecord lists, session.LiveSession.corrected_records).
    corrections_changed = Signal(object)
    # Another athlete stepped up between sets (``change_athlete``): the session
    # so far is saved (its JSON, as ``disconnected`` gives it, or None if its last
    # save failed) and theirs records.
    athlete_changed = Signal(object)
    athlete_unchanged = Signal(str)           # change_athlete refused: why (the session goes on)
    # The simulated station's scenario has run out: nobody comes to the bar any
    # more (the url; ``restart_scenario`` plays it again from its start).
    scenario_ended = Signal(str)
    # A set logged by hand (``log_set``): the storage LoggedSet, stored with the next flush.
    set_logged = Signal(object)

    def __init__(self, db_path: Path | str, parent: QObject | None = None, *,
                 link_factory: Callable[[str], DeviceLink] = DeviceLink,
                 busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
                 max_unsaved_s: float = MAX_UNSAVED_S):
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._link_factory = link_factory
        self._busy_timeout_s = busy_timeout_s
        self._max_unsaved_s = max_unsaved_s
        self._commands = CommandThread()
        self._delivery = GuiDelivery(self)
        self._live: _Live | None = None
        self._connecting = False
        self._generation = 0                  # a connect superseded by a newer one is dropped
        self._last_connect: tuple[str, SessionOptions] | None = None   # for restart_scenario
        self.buffers = SessionBuffers()
        self.state = LinkState.CLOSED
        self._health_at_s = 0.0
        self._ping_at_s = 0.0
        self._latency_ms: float | None = None
        self._storage_error: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    # -- public API ------------------------------------------------------------

    @property
    def session(self) -> LiveSession | None:
        """The session recording; None when not connected, or while
        ``change_athlete`` ends one and begins the next."""
        live = self._live
        return live.session if live is not None and not live.handing_over else None

    @property
    def link(self) -> DeviceLink | None:
        return self._live.link if self._live else None

    @property
    def is_connected(self) -> bool:
        return self._live is not None

    def connect_to(self, url: str, options: SessionOptions | None = None) -> None:
        """Open ``url`` off the GUI thread; ``connected`` or ``connection_failed`` follows."""
        if self._live is not None:
            self.disconnect()
        options = options or SessionOptions()
        options.port = url
        # as asked, copied before the session fills it in
        self._last_connect = (url, dataclasses.replace(options))
        self._generation += 1
        generation = self._generation
        self._connecting = True
        self._set_state(LinkState.CONNECTING)
        self.connection_started.emit(url)
        future = self._submit("connect", lambda: self._open(url, options, generation))
        future.succeeded.connect(self._on_opened)
        future.failed.connect(self._on_open_failed)

    def disconnect(self) -> None:
        """Stop recording and save; ``disconnected`` follows. Does not block."""
        self._generation += 1
        live, self._live = self._live, None
        if live is None:
            return
        if not live.handing_over:      # else the hand-over's session is shut down after it
            self._step_once(live)      # what arrived since the last tick is judged and shown
        future = self._submit("disconnect", lambda: self._shut_down(live))
        future.finished.connect(lambda: self._on_shut_down(live, future))

    def close(self) -> None:
        """Disconnect, wait for the shutdown, stop every thread. Safe twice.
        A final save still failing is tried once more, not up to the bound:
        the app is quitting (the next opening closes that session)."""
        live = self._live
        self.disconnect()
        if live is not None:
            live.writer.stop_retrying()
        self._commands.close(CLOSE_TIMEOUT_S)
        self._delivery.deliver()       # the last results, now that the threads have ended
        self._timer.stop()

    def simulated_station(self) -> StationControls | None:
        """The bench's controls of the simulated station now connected (hang a
        mass, the athlete's moves; ``device/sim/controls.py``), or None for a
        real station or none."""
        live = self._live
        return StationControls(live.url) if live is not None and is_simulated(live.url) else None

    def restart_scenario(self) -> bool:
        """Connect again to the last simulated station with a fresh one: its
        scenario plays from the start, recorded as a new session for the
        athlete, exercise and set labels of now (the athlete's stored contact
        threshold, which a contact calibration may just have changed). False
        (nothing done) when the last station was not simulated."""
        if self._last_connect is None or not is_simulated(self._last_connect[0]):
            return False
        url, options = self._last_connect[0], dataclasses.replace(self._last_connect[1])
        session = self.session
        if session is not None:
            now = session.options
            options = SessionOptions(athlete=now.athlete, body_mass_kg=now.body_mass_kg,
                                     exercise=session.exercise, variant=session.variant,
                                     added_load_kg=session.added_load_kg)
        self.disconnect()
        StationControls(url).forget()     # the old port keeps its station until it closes
        self.connect_to(url, options)
        return True

    def tare(self, channel: int | None = None) -> Future:
        """TARE; the future's result: the CALs the station sent back ({channel: Cal})."""
        return self._command("tare", lambda link: link.tare(channel))

    def calibrate(self, channel: int, mass_grams: float) -> Future:
        """CAL with a known mass; the future's result: the new Cal, or None if none came."""
        return self._command("calibrate", lambda link: link.calibrate(channel, mass_grams))

    def set_rate(self, hz: int) -> Future:
        return self._command("rate", lambda link: link.set_rate(hz))

    def label_calibration(self, label: CalibrationLabel) -> Future:
        """Store with the recording session which command made a CAL and its
        known mass (``LiveSession.label_calibration``); the future succeeds
        (its result: ``label``) once the row is queued for the disk, fails
        without a session or if the session ends without that CAL."""
        future = Future("label_calibration")
        live = self._live
        if live is None or live.handing_over:
            self._delivery.put(future.settle, False, "no session is recording")
        else:
            live.session.label_calibration(
                label, lambda ok, why: self._delivery.put(future.settle, ok, label if ok else why))
        return future

    def start_set(self) -> None:
        self._manual_set(start=True)

    def end_set(self) -> None:
        self._manual_set(start=False)

    @property
    def set_open(self) -> bool:
        """A set is open, or a manual start was asked for that the analysis has not reached."""
        session = self.session
        return session is not None and session.in_set

    def correct_last_rep(self, action: str) -> str | None:
        """Overrule the judge on the session's newest rep (storage/corrections.py
        ``MARK_VALID``, ``MARK_NO_REP`` or ``DELETE``); what went wrong, or None."""
        session = self.session
        last = None if session is None else session.newest_rep
        if last is None:
            return "no rep to correct yet"
        try:
            session.correct(*last, action)
        except ValueError as exc:
            return str(exc)
        self.corrections_changed.emit(session.corrected_records())
        return None

    def note_last_set(self, rpe: float | None, notes: str | None) -> str | None:
        """The RPE and note of the session's last ended set; what went wrong, or None."""
        session = self.session
        if session is None:
            return "no session is recording: the RPE and note go with a recording's sets"
        notes = note_text(notes)
        if rpe is None and notes is None:
            return "enter the athlete's RPE or a note first"
        if not session.sets:
            return "no set has ended yet in this session"
        index = session.sets[-1].index
        try:
            session.note_set(index, rpe, notes)
        except ValueError as exc:
            return str(exc)
        said = " and ".join(w for w in (None if rpe is None else f"RPE {rpe:g}",
                                        "the note" if notes else None) if w)
        self.message_posted.emit(f"Set {index}: {said} noted")
        return None

    def log_set(self, exercise: str, reps: int, load_kg: float | None = None,
                hold_s: float | None = None, rpe: float | None = None,
                notes: str | None = None) -> str | None:
        """A set of an exercise done away from the bar (exercises.LOGGED_EXERCISES:
        reps of ``load_kg`` per hand, each held ``hold_s``), logged in the
        session recording, in its place among the station's sets; what went
        wrong (nothing stored), or None and ``set_logged`` follows."""
        live, session = self._live, self.session
        if session is None:
            return "no session is recording: a logged set goes with a recording"
        self._step_once(live)          # placed after the newest sample received
        try:
            entry = session.log_set(exercise, reps, load_kg, hold_s, rpe, notes)
        except ValueError as exc:
            return str(exc)
        self.set_logged.emit(entry)
        self.message_posted.emit(logged_set_text(exercise_text(entry.exercise), entry.reps,
                                                 entry.load_kg, entry.hold_s) + " logged")
        return None

    def undo_correction(self) -> str | None:
        """Take back the newest correction made in this session; what went wrong, or None."""
        session = self.session
        if session is None or session.undo_correction() is None:
            return "no correction to undo in this session"
        self.corrections_changed.emit(session.corrected_records())
        return None

    def change_athlete(self, athlete: str | None, body_mass_kg: float | None,
                       exercise: str | None = None) -> str | None:
        """Between sets: save the session so far and record the next one for
        ``athlete`` (None: nobody named) on the same link, which keeps
        streaming: no reconnect, so a real station is not reset and a
        simulated scenario goes on. ``athlete_changed`` follows. Returns why
        it cannot be now (a set is open), else None; not connected, there is
        nothing to change (the next connect takes the athlete). ``exercise``:
        their first set's (default: the one judged now)."""
        live = self._live
        if live is None or live.handing_over:
            return None
        try:
            athlete = None if athlete is None else athlete_name(athlete)
            body_mass_kg = None if body_mass_kg is None else checked_body_mass(body_mass_kg)
        except ValueError as exc:
            return str(exc)
        if self._storage_error is not None:
            return CHANGE_ATHLETE_SAVING_FAILS
        self._step_once(live)          # what came so far is the old session's, and shown
        if self.set_open:
            return CHANGE_ATHLETE_IN_SET
        session = live.session
        options = SessionOptions(athlete=athlete, body_mass_kg=body_mass_kg,
                                 exercise=exercise or session.exercise, variant=session.variant,
                                 added_load_kg=session.added_load_kg)
        live.handing_over = True
        future = self._submit("change athlete", lambda: self._hand_over(live, options))
        future.finished.connect(lambda: self._on_handed_over(live, future))
        return None

    def set_exercise(self, exercise: str) -> str | None:
        """The exercise of the sets that begin from now on (stored for replay);
        returns why not (not recording, or not an exercise the station judges)."""
        live = self._live
        session = self.session
        if session is None:
            return "no session is recording"
        self._step_once(live)          # from the newest sample received
        try:
            events = session.set_exercise(exercise)
        except ValueError as exc:
            return str(exc)
        self._emit_analysis(live, events)
        return None

    def set_variant(self, variant: str | None, added_load_kg: float | None) -> None:
        """For sets ending from now on (the open one included); stored for replay."""
        session = self.session
        if session is not None:
            session.set_labels(variant, added_load_kg)

    def latest_force_n(self) -> tuple[float, ...] | None:
        """The newest calibrated force per channel (N), or None before any."""
        return self.buffers.latest_force_n()

    def recent_gaps_mm(self, seconds: float) -> np.ndarray:
        return self.buffers.recent_gaps_mm(seconds)

    def health(self) -> StreamHealth:
        link = self.link
        if link is None:
            return StreamHealth(StreamStats(), storage_error=self._storage_error)
        stat = link.last_stat
        hello = link.hello
        return StreamHealth(
            link.stats, stat.force_hz if stat else None, stat.distance_hz if stat else None,
            hello.force_rate_hz if hello else None, self._latency_ms,
            stat.missed_samples if stat else 0, self._storage_error)

    # -- the command thread's jobs (no Qt in here) -------------------------------

    def _open(self, url: str, options: SessionOptions, generation: int) -> _Live:
        link = self._link_factory(url)
        link.open()
        db = writer = None
        try:
            db = Database(self.db_path, busy_timeout_s=self._busy_timeout_s)
            def say(text: str) -> None:
                self._post("message", text)
            post = self._post
            session = LiveSession(
                db, link, options, on_message=say,
                writer_factory=lambda d, sid: ThreadedWriter(
                    d, sid, on_error=self._storage_error_from_thread,
                    on_failing=lambda m: post("storage_failing", m),
                    on_saved=lambda m: post("storage_saved", m),
                    on_gave_up=lambda m: post("storage_gave_up", m),
                    max_unsaved_s=self._max_unsaved_s))
            writer = session.writer
            link.start()
            return _Live(url, link, db, session, writer, generation)
        except BaseException:
            if writer is not None:
                writer.close()
            link.close()
            if db is not None:
                db.close()
            raise

    def _hand_over(self, live: _Live, options: SessionOptions) -> dict | None:
        """The next session in a database connection of its own (its writer
        writes on its own thread); refused, nothing changed."""
        db = Database(self.db_path, busy_timeout_s=self._busy_timeout_s)
        try:
            result, following = live.session.hand_over(options, db)
        except BaseException:
            db.close()
            raise
        old_writer, old_db = live.writer, live.db
        old_writer.close()
        old_db.close()
        live.session, live.writer, live.db = following, following.writer, db
        return result

    def _storage_error_from_thread(self, message: str) -> None:
        self._post("storage_error", message)

    def _post(self, kind: str, payload: object) -> None:
        """From any thread: a message or a storage report, for the GUI thread."""
        self._delivery.put(self._on_posted, kind, payload)

    def _shut_down(self, live: _Live) -> dict | None:
        result = None
        unsaved = False
        try:
            result = live.session.finish()
        except StorageError as exc:
            unsaved = True
            self._post("message", f"the last samples could not be saved: {exc}")
        except LinkError as exc:
            self._post("message", f"stopping the station: {exc}")
        finally:
            live.link.close()
            live.writer.close()
            if unsaved:
                # As record does: the session ends as interrupted now, or, if
                # the database still refuses, at the next opening for writing.
                try:
                    live.db.abandon_session(live.session.session_id)
                except StorageError:
                    pass
            live.db.close()
        return result

    # -- the GUI thread ------------------------------------------------------------

    def _submit(self, name: str, job: Callable[[], object]) -> Future:
        """``job`` on the command thread; its outcome settles the returned future
        on the GUI thread. The future has no Qt parent: whoever holds it (the
        job until it ends, the delivery until it runs, the caller) keeps it."""
        future = Future(name)
        self._commands.submit(name, job,
                              lambda ok, payload: self._delivery.put(future.settle, ok, payload))
        return future

    def _command(self, name: str, run: Callable[[DeviceLink], object]) -> Future:
        live = self._live
        if live is None:
            future = Future(name, self)
            future.finished.connect(future.deleteLater)
            self._delivery.put(future.settle, False, "no station connected")
        else:
            future = self._submit(name, lambda: run(live.link))
        future.succeeded.connect(lambda result: self.command_finished.emit(name, result))
        future.failed.connect(lambda message: self.command_failed.emit(name, message))
        return future

    def _manual_set(self, start: bool) -> None:
        """At the newest sample: what arrived since the last tick is fed first.
        The session stores the request with its device time, for replay."""
        live = self._live
        if live is None or live.handing_over:
            return
        self._step_once(live)
        session = live.session
        events = session.start_set() if start else session.end_set()
        self._emit_analysis(live, events)

    def _on_tick(self) -> None:
        live = self._live
        if live is not None and not live.handing_over:
            self._step_once(live)
            now = time.monotonic()
            if now - self._ping_at_s >= PING_INTERVAL_S and not self._commands.busy:
                self._ping_at_s = now
                self._submit("ping", live.link.ping).succeeded.connect(self._on_pinged)
            if now - self._health_at_s >= HEALTH_INTERVAL_S:
                self._health_at_s = now
                self.stats_changed.emit(self.health())
                self._check_scenario(live)

    def _check_scenario(self, live: _Live) -> None:
        """A simulated station's scenario that ran out is said once per connection."""
        if live.scenario_ended or not is_simulated(live.url):
            return
        try:
            ended = StationControls(live.url).scenario_ended()
        except KeyError:          # its station was forgotten (a restart is under way)
            return
        if ended:
            live.scenario_ended = True
            self.scenario_ended.emit(live.url)

    def _step_once(self, live: _Live) -> None:
        step: Step = live.session.step()
        if self.buffers.t0_us is None and live.session.t0_us is not None:
            self.buffers.t0_us = live.session.t0_us
        self.buffers.add(step.force, step.distance, live.session.calibration)
        # The link's state now, not each StateChanged replayed: a tick sees them late.
        self._set_state(live.link.state)
        health = None
        for event in step.link:
            if isinstance(event, HealthChanged):
                health = event.health      # the newest of this tick is what holds
            elif isinstance(event, StreamStalled):
                self.stream_stalled.emit(event)
            elif isinstance(event, StreamResumed):
                self.stream_resumed.emit(event)
            elif isinstance(event, StateChanged) and event.cause is not None:
                self.link_lost.emit(event.cause)
        if health is not None:
            self.station_health_changed.emit(health)
        self._emit_analysis(live, step.analysis)
        self.stepped.emit(step)

    def _emit_analysis(self, live: _Live, events: list) -> None:
        for event in events:
            if isinstance(event, RepCompleted):
                rep = event.rep
                self.buffers.add_rep(rep.t_start_us, rep.t_end_us, rep.valid, rep.t_contact_us)
                live.emitted_reps += 1
                self.rep_completed.emit(rep)
            elif isinstance(event, SetStarted):
                live.sets_open.add(event.set_index)
                self.set_started.emit(event)
            elif isinstance(event, SetEnded):
                live.sets_open.discard(event.set.index)
                self.set_ended.emit(event.set)
            elif isinstance(event, ContactChanged):
                self.buffers.add_contact(event.t_us, event.in_contact)
                self.contact_changed.emit(event)

    def _on_posted(self, kind: str, payload: object) -> None:
        if kind == "message":
            self.message_posted.emit(str(payload))
        elif kind == "storage_error":
            self._storage_error = str(payload)
            self.storage_failed.emit(f"Not saving to disk: {payload}")
            self.message_posted.emit(str(payload))
        elif kind == "storage_failing":
            self._storage_error = str(payload)
            self.storage_failed.emit(str(payload))
        elif kind == "storage_saved":
            self._storage_error = None
            self.storage_recovered.emit(str(payload))
        elif kind == "storage_gave_up":
            self._storage_error = str(payload)
            self.recording_stopped.emit(str(payload))
            self.disconnect()

    def _on_pinged(self, round_trip_s: object) -> None:
        self._latency_ms = float(round_trip_s) * 1000.0

    def _on_shut_down(self, live: _Live, future: Future) -> None:
        """The disconnect's future settled: the session is saved (or not) and closed."""
        self._set_state(LinkState.CLOSED)
        if future.error is None:
            self._emit_final_judgement(live)
        self.disconnected.emit(future.result)

    def _on_handed_over(self, live: _Live, future: Future) -> None:
        live.handing_over = False
        if future.error is not None:
            # Nothing changed: the session recording goes on.
            self.athlete_unchanged.emit(f"The athlete was not changed: {future.error}")
            return
        live.emitted_reps = 0          # the next session's reps and sets, from none
        live.sets_open.clear()
        result = future.result
        if self._live is not live:     # disconnected meanwhile: its shutdown ends the next one
            if result is not None:
                self.message_posted.emit(f"Session {result['session_id']} saved")
            return
        self.buffers = SessionBuffers(live.link.hello.force_channels)
        self.athlete_changed.emit(result)
        self._step_once(live)

    def _emit_final_judgement(self, live: _Live) -> None:
        """Reps and the set end that only the shutdown's last step and finish() judged."""
        sets = live.session.sets
        reps = [r for s in sets for r in s.reps]
        for rep in reps[live.emitted_reps:]:
            self._emit_analysis(live, [RepCompleted(rep)])
        for s in sets:
            if s.index in live.sets_open and s.t_end_us is not None:
                self._emit_analysis(live, [SetEnded(s)])

    def _on_open_failed(self, message: str) -> None:
        self._connecting = False
        self._set_state(LinkState.CLOSED)
        self.connection_failed.emit(message)

    def _on_opened(self, live: _Live) -> None:
        self._connecting = False
        if live.generation != self._generation or self._live is not None:
            # Superseded (disconnected or closed while it was opening): not adopted.
            if self._commands.running:
                self._submit("discard", lambda: self._shut_down(live))
            else:
                self._shut_down(live)
            return
        self.buffers = SessionBuffers(live.link.hello.force_channels)
        self._storage_error = None
        self._live = live
        self._set_state(live.link.state)
        self.connected.emit(live.link.hello)
        if self._live is live:
            self._step_once(live)      # what came while it was being adopted, shown now

    def _set_state(self, state: LinkState) -> None:
        if state is not self.state:
            self.state = state
            self.state_changed.emit(state)
