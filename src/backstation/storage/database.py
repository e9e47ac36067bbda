"""The session database: one SQLite file, WAL mode, opened by one owner.

WAL lets another process (``backstation sessions``, a second app window)
read while a recorder writes, and with ``synchronous=NORMAL`` a commit is
cheap yet survives the process being killed (it may not survive a power
cut, which costs at most the last commits). A ``Database`` object belongs
to one thread at a time; handing it over between threads is fine, sharing it
concurrently is not.

Every sqlite3 error leaves here as ``StorageError`` with a message a user can
act on.
"""

from __future__ import annotations

import difflib
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ..samples import DistanceBlock, ForceBlock
from . import chunks, corrections, logged, outbox, records, training
from .liveness import WriterLock
from .connection import DEFAULT_BUSY_TIMEOUT_S, open_connection, open_reading
from .errors import OlderDatabase, SessionNotFound, StorageError
from .records import (SETTABLE_STAT_COLUMNS, STAT_COLUMNS, Athlete, CalibrationRecord, DeviceInfo, EventRecord,
                      LoggedSet, RepRecord, SessionInfo, SetRecord, athlete_name)
from .schema import Migration, new_uid

log = logging.getLogger(__name__)

# How alike two names must be (difflib's ratio) for a new one to be taken for a typo.
SIMILAR_NAME_RATIO = 0.75
# ``update_athlete``: leave this field as stored (None clears it).
KEEP = object()


def utc_iso(moment: datetime | None = None) -> str:
    """UTC ISO-8601 with milliseconds; a naive datetime is refused because
    its zone would be a guess."""
    moment = datetime.now(timezone.utc) if moment is None else moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (e.g. datetime.now(timezone.utc))")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def upgrade(path: str | Path) -> bool:
    """Bring a database an older Back Station wrote up to this version's
    schema, as recording into it would: the app's History and Progress read
    it read-only, which refuses an older schema. False if there is no file
    or it is up to date; ``StorageError`` if it cannot be upgraded."""
    path = Path(path)
    if not path.exists():
        return False
    try:
        Database(path, read_only=True).close()
        return False
    except OlderDatabase:
        pass
    Database(path, create=False).close()
    return True


class Database:
    def __init__(self, path: str | Path, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
                 migrations: Sequence[Migration] | None = None, read_only: bool = False,
                 create: bool = True) -> None:
        """``read_only``: for commands that only read (``sessions``, ``replay``,
        ``export``, History): never creates, migrates or changes the file, and
        works on a read-only mount; ``NoDatabase`` if there is no file.
        ``create=False``: writes, but ``NoDatabase`` rather than a new empty
        file if there is none (``sync``)."""
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            self._conn = open_reading(self.path, migrations, busy_timeout_s)
        else:
            self._conn = open_connection(self.path, migrations, busy_timeout_s, create=create)
        self._conn.row_factory = sqlite3.Row
        self._writer_locks: dict[int, WriterLock] = {}
        # False only on the partial schemas tests build from their own migrations.
        self._has_uids = self._has_column("sessions", "uid")
        self._has_logged_sets = self._has_table("logged_sets")
        if not read_only and self._has_column("sessions", "end_reason"):
            try:
                self.close_interrupted_sessions()
            except StorageError as exc:
                # Another writer holds the lock past the busy timeout: the
                # next opening closes them; this one need not fail for it.
                log.warning("interrupted sessions not closed yet: %s", exc)

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Close the connection. A session created here and not finished stays
        open; its writer lock is released, so the next writer closes it as
        interrupted."""
        for lock in self._writer_locks.values():
            lock.release(remove=False)
        self._writer_locks.clear()
        self._conn.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. Nested use joins
        the outer transaction. sqlite3 errors become ``StorageError``."""
        if self._conn.in_transaction:
            yield
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                # COMMIT itself can fail (disk full, busy): nothing was
                # committed then, and the transaction must not stay open.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StorageError(f"could not save to {self.path}: {exc}") from exc

    @contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StorageError(f"could not read {self.path}: {exc}") from exc

    # -- devices and athletes --------------------------------------------

    def upsert_device(self, device_id: str, firmware: str, protocol: int, *,
                      seen_at: datetime | None = None) -> None:
        """Record a station's HELLO: first sighting inserts, later ones
        update firmware, protocol and last_seen."""
        now = utc_iso(seen_at)
        with self.transaction():
            self._conn.execute(
                "INSERT INTO devices (device_id, firmware, protocol, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
                " firmware = excluded.firmware, protocol = excluded.protocol,"
                " last_seen = excluded.last_seen", (device_id, firmware, protocol, now, now))

    def get_device(self, device_id: str) -> DeviceInfo | None:
        with self._reading():
            row = self._conn.execute("SELECT * FROM devices WHERE device_id = ?",
                                     (device_id,)).fetchone()
        return None if row is None else DeviceInfo(**dict(row))

    def get_or_create_athlete(self, name: str, body_mass_kg: float | None = None) -> Athlete:
        """The athlete called ``name`` (case-insensitive), created if new; a
        given body mass replaces the stored one (people's mass changes).
        ValueError for an empty name or a mass no person has."""
        name = athlete_name(name)
        if body_mass_kg is not None:
            body_mass_kg = records.body_mass_kg(body_mass_kg)
        with self.transaction():
            if self._has_uids:
                self._conn.execute(
                    "INSERT INTO athletes (name, body_mass_kg, created_at, uid)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                    (name, body_mass_kg, utc_iso(), new_uid()))
            else:
                self._conn.execute(
                    "INSERT INTO athletes (name, body_mass_kg, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO NOTHING", (name, body_mass_kg, utc_iso()))
            if body_mass_kg is not None:
                self._conn.execute("UPDATE athletes SET body_mass_kg = ? WHERE name = ?",
                                   (body_mass_kg, name))
            row = self._conn.execute("SELECT * FROM athletes WHERE name = ?", (name,)).fetchone()
        return Athlete(**dict(row))

    def get_athlete(self, name: str) -> Athlete | None:
        with self._reading():
            row = self._conn.execute("SELECT * FROM athletes WHERE name = ?",
                                     (name.strip(),)).fetchone()
        return None if row is None else Athlete(**dict(row))

    def similar_athletes(self, name: str) -> list[str]:
        """Roster names close to ``name`` but not it (a typo: "Alx" for Alex),
        closest first: a new name is checked against these before it is added."""
        same = self.get_athlete(name)          # that athlete (the database's rule for a name)
        names = {a.name.casefold(): a.name for a in self.list_athletes()
                 if same is None or a.id != same.id}
        return [names[n] for n in difflib.get_close_matches(name.strip().casefold(), list(names),
                                                              n=3, cutoff=SIMILAR_NAME_RATIO)]

    def athlete_refusal(self, name: str) -> str | None:
        """Why ``name`` is not taken for a new athlete: it looks like a typo of
        one on the roster (``similar_athletes``); None if it is on the roster
        or new and unlike any there. The caller adds how to add one anyway."""
        if self.get_athlete(name) is not None:
            return None
        similar = self.similar_athletes(name)
        if not similar:
            return None
        return (f"no athlete called {name.strip()!r} on the roster; did you mean "
                f"{' or '.join(repr(n) for n in similar)}?")

    def list_athletes(self) -> list[Athlete]:
        with self._reading():
            rows = self._conn.execute("SELECT * FROM athletes ORDER BY name").fetchall()
        return [Athlete(**dict(row)) for row in rows]

    def add_athlete(self, name: str, *, body_mass_kg: float | None = None,
                    contact_mm: float | None = None, straight_arm_mm: float | None = None,
                    notes: str | None = None, squeeze_mm: float | None = None) -> Athlete:
        """A new athlete on the roster. ValueError for a name already there
        (case-insensitive: "alex" is Alex) or a value out of range."""
        name = athlete_name(name)
        # Every field checked before anything is stored: a refusal adds nobody.
        for value, check in ((body_mass_kg, records.body_mass_kg),
                             (contact_mm, records.contact_mm),
                             (straight_arm_mm, records.straight_arm_mm),
                             (squeeze_mm, records.squeeze_mm)):
            if value is not None:
                check(value)
        with self.transaction():
            if self.get_athlete(name) is not None:
                raise ValueError(f"{name!r} is already on the roster")
            self.get_or_create_athlete(name)
            return self.update_athlete(name, body_mass_kg=body_mass_kg, contact_mm=contact_mm,
                                       straight_arm_mm=straight_arm_mm, notes=notes,
                                       squeeze_mm=squeeze_mm)

    def update_athlete(self, name: str, *, new_name: str | None = None,
                       body_mass_kg: float | None | object = KEEP,
                       contact_mm: float | None | object = KEEP,
                       straight_arm_mm: float | None | object = KEEP,
                       notes: str | None | object = KEEP,
                       squeeze_mm: float | None | object = KEEP) -> Athlete:
        """Change what the roster keeps on ``name``: each field given replaces
        the stored one (None clears it), ``KEEP`` leaves it. Sessions keep the
        body mass and contact threshold they were recorded with. ValueError
        for an athlete not on the roster, a new name another athlete has, or
        a value out of range."""
        athlete = self.get_athlete(name)
        if athlete is None:
            raise ValueError(f"no athlete called {name.strip()!r} on the roster")
        changes: dict[str, object] = {}
        if new_name is not None:
            new_name = athlete_name(new_name)
            other = self.get_athlete(new_name)
            if other is not None and other.id != athlete.id:
                raise ValueError(f"{new_name!r} is already on the roster")
            changes["name"] = new_name
        checks = {"body_mass_kg": records.body_mass_kg, "contact_mm": records.contact_mm,
                  "straight_arm_mm": records.straight_arm_mm, "squeeze_mm": records.squeeze_mm}
        for column, value in (("body_mass_kg", body_mass_kg), ("contact_mm", contact_mm),
                              ("straight_arm_mm", straight_arm_mm), ("squeeze_mm", squeeze_mm)):
            if value is not KEEP:
                changes[column] = None if value is None else checks[column](value)
        if notes is not KEEP:
            changes["notes"] = records.note_text(notes)     # type: ignore[arg-type]
        if "contact_mm" in changes:
            changes["contact_calibrated_at"] = None
        if changes:
            columns = ", ".join(f"{column} = ?" for column in changes)
            with self.transaction():
                self._conn.execute(f"UPDATE athletes SET {columns} WHERE id = ?",
                                   (*changes.values(), athlete.id))
        with self._reading():
            row = self._conn.execute("SELECT * FROM athletes WHERE id = ?",
                                     (athlete.id,)).fetchone()
        return Athlete(**dict(row))

    def set_athlete_contact(self, name: str, contact_mm: float,
                            calibrated_at: datetime | None = None) -> Athlete:
        """Store the athlete's contact threshold (from a 2 s touch of the bar)."""
        athlete = self.get_or_create_athlete(name)
        with self.transaction():
            self._conn.execute(
                "UPDATE athletes SET contact_mm = ?, contact_calibrated_at = ? WHERE id = ?",
                (float(contact_mm), utc_iso(calibrated_at), athlete.id))
        return self.get_or_create_athlete(name)

    def reassign_session(self, session_id: int, athlete: str | None) -> SessionInfo:
        """File a session under another athlete on the roster (None: no
        athlete). The session keeps the body mass and contact threshold it
        was judged with. ValueError for a name not on the roster."""
        athlete_id = None
        if athlete is not None:
            found = self.get_athlete(athlete)
            if found is None:
                raise ValueError(f"no athlete called {athlete.strip()!r} on the roster")
            athlete_id = found.id
        with self.transaction():
            cursor = self._conn.execute("UPDATE sessions SET athlete_id = ? WHERE id = ?",
                                        (athlete_id, session_id))
        if cursor.rowcount == 0:
            raise SessionNotFound(session_id)
        return self.get_session(session_id)

    # -- sessions ---------------------------------------------------------

    def create_session(self, *, started_at: datetime | None = None,
                       athlete: Athlete | None = None, body_mass_kg: float | None = None,
                       exercise: str = "inverted-row", device_id: str | None = None,
                       firmware: str | None = None, protocol: int | None = None,
                       force_channels: int | None = None, force_rate_hz: int | None = None,
                       distance_sensor: str | None = None, port: str | None = None,
                       notes: str | None = None, contact_mm: float | None = None) -> int:
        """A new session row; returns its id. The athlete's current body mass
        is copied onto the session unless ``body_mass_kg`` is given, so
        %-body-mass figures stay as recorded when the athlete's mass changes.
        A ``device_id`` is registered in devices if it is new."""
        if body_mass_kg is None and athlete is not None:
            body_mass_kg = athlete.body_mass_kg
        with self.transaction():
            if device_id is not None:
                self.upsert_device(device_id, firmware or "", protocol or 0, seen_at=started_at)
            cursor = self._conn.execute(
                "INSERT INTO sessions (started_at, athlete_id, body_mass_kg, exercise, device_id,"
                " firmware, protocol, force_channels, force_rate_hz, distance_sensor, port, notes,"
                " contact_mm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (utc_iso(started_at), None if athlete is None else athlete.id, body_mass_kg,
                 exercise, device_id, firmware, protocol, force_channels, force_rate_hz,
                 distance_sensor, port, notes, contact_mm))
            session_id = int(cursor.lastrowid)
            if self._has_uids:
                self._conn.execute("UPDATE sessions SET uid = ? WHERE id = ?",
                                   (new_uid(), session_id))
            # Taken before the row is committed, so no other writer ever sees
            # this session open without its writer's lock held.
            self._writer_locks[session_id] = self._lock_session(session_id, required=True)
        return session_id

    def _has_column(self, table: str, column: str) -> bool:
        """False only on the partial schemas tests build from their own migrations."""
        return any(row[1] == column
                   for row in self._conn.execute(f"PRAGMA table_info({table})"))

    def _has_table(self, table: str) -> bool:
        """False only on the partial schemas tests build from their own migrations."""
        return self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                  " AND name = ?", (table,)).fetchone() is not None

    def _lock_session(self, session_id: int, required: bool) -> WriterLock:
        try:
            lock = WriterLock(self.path, session_id)
        except OSError as exc:
            raise StorageError(f"cannot create the lock file beside {self.path}: "
                               f"{exc.strerror or exc}") from exc
        if required and not lock.held:
            raise StorageError(f"session {session_id} of {self.path} is locked by another "
                               "process")
        return lock

    def abandon_session(self, session_id: int) -> None:
        """This writer gives the session up unfinished (its recording failed):
        closed as interrupted at its last stored sample, now rather than at
        the next opening."""
        lock = self._writer_locks.pop(session_id, None)
        if lock is not None:
            lock.release(remove=False)
        self.close_interrupted_sessions()

    def close_interrupted_sessions(self) -> list[int]:
        """Close every session whose writer is gone (no end time, its writer
        lock free: storage/liveness.py) as ``interrupted``, ended at its last
        stored sample (at its start if it has none). Runs on every opening
        for writing; returns the ids it closed."""
        closed: list[int] = []
        with self._reading():
            if not self._conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM sessions WHERE ended_at IS NULL)").fetchone()[0]:
                return closed               # the usual case: no write lock taken
        with self.transaction():
            rows = self._conn.execute(
                "SELECT id, started_at FROM sessions WHERE ended_at IS NULL").fetchall()
            for session_id, started_at in rows:
                if session_id in self._writer_locks:
                    continue
                lock = self._lock_session(session_id, required=False)
                if not lock.held:
                    continue                  # a live writer: leave it alone
                try:
                    last = chunks.last_host_time_s(self._conn, session_id)
                    ended_at = (started_at if last is None else
                                utc_iso(datetime.fromtimestamp(last, timezone.utc)))
                    self._conn.execute(
                        "UPDATE sessions SET ended_at = ?, end_reason = 'interrupted'"
                        " WHERE id = ?", (ended_at, session_id))
                finally:
                    lock.release()
                closed.append(session_id)
        return closed

    def update_session_stats(self, session_id: int, **stats: int) -> None:
        """Set stream counters (crc_errors, malformed, overlong, lost_force,
        lost_distance, reconnects) to their current totals. Sample counts are
        not settable: the appends keep them equal to what is stored."""
        unknown = set(stats) - set(SETTABLE_STAT_COLUMNS)
        if unknown:
            raise ValueError(f"not settable session stats: {sorted(unknown)}; "
                             f"expected some of {SETTABLE_STAT_COLUMNS}")
        if not stats:
            return
        assignments = ", ".join(f"{name} = ?" for name in stats)
        with self.transaction():
            cursor = self._conn.execute(f"UPDATE sessions SET {assignments} WHERE id = ?",
                                        (*(int(v) for v in stats.values()), session_id))
            if cursor.rowcount == 0:
                raise SessionNotFound(session_id)

    def finish_session(self, session_id: int, ended_at: datetime | None = None,
                       stats: dict[str, int] | None = None) -> None:
        with self.transaction():
            self.update_session_stats(session_id, **(stats or {}))
            cursor = self._conn.execute("UPDATE sessions SET ended_at = ? WHERE id = ?",
                                        (utc_iso(ended_at), session_id))
            if cursor.rowcount == 0:
                raise SessionNotFound(session_id)
        lock = self._writer_locks.pop(session_id, None)
        if lock is not None:
            lock.release()

    def list_sessions(self) -> list[SessionInfo]:
        """Every session, oldest first."""
        with self._reading():
            rows = self._conn.execute(_SESSION_QUERY + " ORDER BY s.id").fetchall()
            return [self._session_info(row) for row in rows]

    def get_session(self, session_id: int) -> SessionInfo:
        with self._reading():
            row = self._conn.execute(_SESSION_QUERY + " WHERE s.id = ?",
                                     (session_id,)).fetchone()
            if row is None:
                raise SessionNotFound(session_id)
            return self._session_info(row)

    def _session_info(self, row: sqlite3.Row) -> SessionInfo:
        fields = dict(row)
        return records.session_info(fields, fields["athlete_name"],
                                    chunks.device_span_us(self._conn, fields["id"]))

    def delete_session(self, session_id: int) -> None:
        """Remove the session and everything recorded with it (samples,
        calibrations, events, sets, reps, logged sets: ON DELETE CASCADE, which needs the
        connection's ``foreign_keys`` pragma, set on open). Athletes and
        devices stay: other sessions may name them."""
        with self.transaction():
            cursor = self._conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            if cursor.rowcount == 0:
                raise SessionNotFound(session_id)

    # -- samples ----------------------------------------------------------

    def append_force(self, session_id: int, block: ForceBlock) -> None:
        """Store ``block`` as one chunk (nothing for an empty block), in the
        caller's transaction if one is open, else in its own."""
        with self.transaction():
            chunks.insert_force(self._conn, session_id, block)

    def append_distance(self, session_id: int, block: DistanceBlock) -> None:
        with self.transaction():
            chunks.insert_distance(self._conn, session_id, block)

    def load_force(self, session_id: int) -> ForceBlock:
        """Every stored force sample of the session, in recording order."""
        info = self.get_session(session_id)
        with self._reading():
            return chunks.read_force(self._conn, session_id, info.force_channels or 1)

    def load_distance(self, session_id: int) -> DistanceBlock:
        self.get_session(session_id)
        with self._reading():
            return chunks.read_distance(self._conn, session_id)

    # -- calibrations and events -----------------------------------------

    def add_calibration(self, session_id: int, channel: int, offset_counts: int,
                        counts_per_newton: float, *, source: str = "device",
                        t_device_us: int | None = None, mass_grams: float | None = None,
                        recorded_at: datetime | None = None) -> int:
        with self.transaction():
            cursor = self._conn.execute(
                "INSERT INTO calibrations (session_id, channel, offset_counts, counts_per_newton,"
                " t_device_us, recorded_at, source, mass_grams) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, channel, offset_counts, counts_per_newton, t_device_us,
                 utc_iso(recorded_at), source, mass_grams))
        return int(cursor.lastrowid)

    def calibrations(self, session_id: int) -> list[CalibrationRecord]:
        """In the order they were recorded."""
        with self._reading():
            rows = self._conn.execute("SELECT * FROM calibrations WHERE session_id = ?"
                                      " ORDER BY id", (session_id,)).fetchall()
        return [CalibrationRecord(**dict(row)) for row in rows]

    def add_event(self, session_id: int, kind: str, detail: str = "", *,
                  t_host_s: float, t_device_us: int | None = None) -> int:
        with self.transaction():
            cursor = self._conn.execute(
                "INSERT INTO events (session_id, t_device_us, t_host_s, kind, detail)"
                " VALUES (?, ?, ?, ?, ?)", (session_id, t_device_us, t_host_s, kind, detail))
        return int(cursor.lastrowid)

    def events(self, session_id: int) -> list[EventRecord]:
        with self._reading():
            rows = self._conn.execute("SELECT * FROM events WHERE session_id = ? ORDER BY id",
                                      (session_id,)).fetchall()
        return [EventRecord(**dict(row)) for row in rows]


    # -- judged sets and reps --------------------------------------------

    def save_set(self, record: SetRecord) -> None:
        with self.transaction():
            training.save_set(self._conn, record)

    def save_rep(self, record: RepRecord) -> None:
        with self.transaction():
            training.save_rep(self._conn, record)

    def sets(self, session_id: int) -> list[SetRecord]:
        """The session's sets as the coach left them (storage/corrections.py)."""
        return self._corrected(session_id, with_reps=False)[0]

    def reps(self, session_id: int) -> list[RepRecord]:
        """The session's reps as the coach left them: deleted ones left out,
        overruled ones with the judge's verdict in ``judged``."""
        return self._corrected(session_id, with_reps=True)[1]

    def judged_sets(self, session_id: int) -> list[SetRecord]:
        """The session's sets as its judge stored them (no correction applied)."""
        with self._reading():
            return training.load_sets(self._conn, session_id)

    def judged_reps(self, session_id: int) -> list[RepRecord]:
        """The session's reps as its judge stored them (no correction applied)."""
        with self._reading():
            return training.load_reps(self._conn, session_id)

    def _corrected(self, session_id: int, with_reps: bool
                   ) -> tuple[list[SetRecord], list[RepRecord]]:
        with self._reading():
            sets = training.load_sets(self._conn, session_id)
            made = corrections.load(self._conn, session_id)
            if not made and not with_reps:      # the session list: no rep read for nothing
                return sets, []
            return corrections.corrected(sets, training.load_reps(self._conn, session_id), made)

    def note_set(self, session_id: int, set_index: int, rpe: float | None,
                 notes: str | None, *, skip_missing: bool = False) -> bool:
        """The athlete's RPE (1-10) and the coach's note on a set; either None
        (or a blank note) leaves what the set has. ``StorageError`` if there is
        no such set (``skip_missing``: False, nothing stored); ValueError for
        an RPE off the scale."""
        rpe = None if rpe is None else records.rpe(rpe)
        notes = records.note_text(notes)
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE sets SET rpe = coalesce(?, rpe), notes = coalesce(?, notes)"
                " WHERE session_id = ? AND set_index = ?", (rpe, notes, session_id, set_index))
        if cursor.rowcount == 0 and not skip_missing:
            raise StorageError(f"session {session_id} has no set {set_index} to note")
        return cursor.rowcount > 0

    # -- sets logged by hand (storage/logged.py) -------------------------------

    def add_logged_set(self, session_id: int, exercise: str, reps: int, *,
                       load_kg: float | None = None, hold_s: float | None = None,
                       rpe: float | None = None, notes: str | None = None,
                       t_device_us: int | None = None,
                       logged_at: datetime | None = None) -> LoggedSet:
        """A set of an exercise done away from the bar (exercises.LOGGED_EXERCISES),
        stored as the session's next logged set: ``reps`` of ``load_kg`` per
        hand (a dumbbell's mass), each held ``hold_s``. ``t_device_us``: the
        newest sample the live judgement had when it was logged (its place
        among the station's sets); ``logged_at``: when (now if None). ValueError
        in one line for a value that cannot be (nothing stored);
        ``SessionNotFound`` for no such session."""
        fields = records.logged_set_fields(exercise, reps, load_kg, hold_s, rpe, notes)
        with self.transaction():
            return logged.add(self._conn, session_id, fields, utc_iso(logged_at),
                              None if t_device_us is None else int(t_device_us))

    def logged_sets(self, session_id: int) -> list[LoggedSet]:
        """The session's sets logged by hand, in the order logged (none on a
        database older than schema v8)."""
        if not self._has_logged_sets:
            return []
        with self._reading():
            return logged.load(self._conn, session_id)

    def delete_logged_set(self, session_id: int, set_no: int) -> None:
        """Remove a logged set (the others keep their numbers); ``StorageError``
        if the session has no logged set ``set_no``."""
        with self.transaction():
            logged.delete(self._conn, session_id, set_no)

    # -- a coach's corrections (storage/corrections.py) ----------------------

    def correct(self, session_id: int, set_index: int, rep_index: int | None,
                action: str, *, skip_missing: bool = False) -> corrections.Correction | None:
        """Overrule the judge: ``action`` (corrections.ACTIONS) on a rep, or
        ``rep_index`` None: delete the set. ``StorageError`` if there is no
        such rep or set (``skip_missing``: None, nothing stored); ValueError
        for an action that cannot be."""
        with self.transaction():
            return corrections.add(self._conn, session_id, set_index, rep_index, action,
                                   utc_iso(), skip_missing)

    def undo_correction(self, session_id: int) -> corrections.Correction | None:
        """Take back the session's newest correction (None: there was none)."""
        with self.transaction():
            return corrections.undo(self._conn, session_id)

    def corrections(self, session_id: int) -> list[corrections.Correction]:
        with self._reading():
            return corrections.load(self._conn, session_id)

    # -- uploads to a team server (backstation sync, docs/team.md) ----------

    def pending_uploads(self, server: str) -> list[int]:
        """Finished sessions ``server`` has not committed yet, oldest first."""
        with self._reading():
            return outbox.pending(self._conn, server)

    def upload_bundle(self, session_id: int) -> outbox.SessionBundle:
        """The session and everything recorded with it, as stored, in one read."""
        with self._reading():
            self._conn.execute("BEGIN")   # one snapshot, even while a recorder writes
            try:
                return outbox.bundle(self._conn, session_id)
            finally:
                self._conn.execute("COMMIT")

    def mark_uploaded(self, session_id: int, server: str,
                      athlete: tuple[int, str] | None = None) -> None:
        """``server`` committed the session; ``athlete`` (local id, team uid):
        the team's uid for the session's athlete, kept from now on."""
        with self.transaction():
            if athlete is not None:
                outbox.adopt_athlete_uid(self._conn, *athlete)
            outbox.mark_uploaded(self._conn, session_id, server, utc_iso())

    def uploaded_to(self, session_id: int) -> list[str]:
        with self._reading():
            return outbox.uploaded_to(self._conn, session_id)


_SESSION_QUERY = (
    "SELECT s.id, s.started_at, s.ended_at, s.athlete_id, a.name AS athlete_name,"
    " s.body_mass_kg, s.exercise, s.device_id, s.firmware, s.protocol, s.force_channels,"
    " s.force_rate_hz, s.distance_sensor, s.port, " + ", ".join(f"s.{c}" for c in STAT_COLUMNS)
    + ", s.notes, s.contact_mm, s.end_reason, s.uid"
    " FROM sessions s LEFT JOIN athletes a ON a.id = s.athlete_id")
