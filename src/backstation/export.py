"""CSV export of a stored session (``backstation export``): samples.csv,
reps.csv and sets.csv, locale-independent ('.' decimals, ',' separators,
units in the header), written from the recorded data, never from what a
plot holds; reps and set counts as the coach left them
(storage/corrections.py; a set's velocity loss and decay are the judge's);
sets.csv also has the sets logged by hand (storage/logged.py), in the
order done.

Large sessions are written in blocks of rows formatted by numpy
(csvformat.py: no Python step per value) and report progress through a
callback, so the app can show a progress bar and cancel.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import csvformat
from .analysis.calibration import ForceCalibration
from .samples import DistanceBlock, ForceBlock
from .storage import CalibrationRecord, EventRecord, RepRecord, SessionInfo, SetRecord
from .storage.bundle_reader import SessionReader
from .storage.logged import in_order
from .storage.records import LoggedSet, stored_contacts, stored_time_origin_us
from .vocabulary import date_time_text, local_time

ROWS_PER_BLOCK = 200_000
CHANNEL_NAMES = ("left", "right", "ch2", "ch3")
# Who, when and what, first in reps.csv and sets.csv: exports of several sessions
# pasted into one sheet stay apart (a workout two athletes share is a session a
# turn, and its sets count from 1 in each). The date is the session's start, local
# time; session its id on the station that recorded it.
SESSION_COLUMNS = ("athlete", "date", "session", "exercise")
# reps.csv columns, in order; the rest of a rep's metrics follow alphabetically.
# valid / reason as the coach left them; corrected 1 where a coach overruled the judge,
# whose verdict is then in judged_valid / judged_reason (storage/corrections.py).
REP_COLUMNS = (*SESSION_COLUMNS, "set", "rep", "valid", "reason", "corrected", "judged_valid",
               "judged_reason", "t_start_s", "t_end_s", "peak_force_n",
               "mean_force_n", "peak_force_pct_bm", "mean_force_pct_bm", "asymmetry_pct",
               "impulse_n_s", "rom_mm", "min_gap_mm", "concentric_s", "top_hold_s",
               "eccentric_s", "mean_concentric_velocity_m_s", "rfd_n_per_s",
               "rfd_unavailable_reason")
# A metric's column where its key does not spell its unit as a header should.
RENAMED = {"impulse_ns": "impulse_n_s"}
# sets.csv: one row a set, in the order done, counted as the coach left it; the
# exercise is the set's. The station's sets (logged 0) and the sets logged by hand
# of the exercises done away from the bar (logged 1: exercises.LOGGED_EXERCISES,
# which have only exercise, reps, load_kg, hold_s, rpe and notes; the station's
# columns are empty). reps: every rep of the set, a spreadsheet's one column to
# total (the station's reps as the coach left them, those of unknown contact too,
# which count in neither valid_reps nor no_reps; a logged set's as logged);
# load_kg: each dumbbell's mass; hold_s: the squeeze held at the top of each rep.
# The last five came with logged sets: appended, so earlier columns keep their place.
SET_COLUMNS = (*SESSION_COLUMNS, "set", "variant", "added_load_kg", "manual", "t_start_s",
               "t_end_s", "valid_reps", "no_reps", "corrected", "velocity_loss_pct",
               "peak_force_decay_pct", "range_loss_pct", "reps_per_min", "rpe", "notes",
               "logged", "reps", "load_kg", "hold_s")


class ExportCancelled(Exception):
    pass


class OutputError(Exception):
    """The output folder cannot take the export; the message is for the user
    (which file, and the OS's reason without its errno)."""


class WouldOverwrite(OutputError):
    """The output folder already holds an export (``overwrite`` not given)."""

    def __init__(self, out_dir: Path, existing: list[Path]):
        self.out_dir = out_dir
        self.existing = existing
        super().__init__(f"{out_dir} already holds {' and '.join(p.name for p in existing)}")


def _output_error(exc: OSError, path: Path) -> OutputError:
    """One line for an OS error on ``path``: "cannot write DIR/samples.csv:
    Permission denied", never Python's "[Errno 13] ... samples.csv.part"."""
    reason = exc.strerror or str(exc)
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        reason = "a file is in the way of the folder"
    return OutputError(f"cannot write {path}: {reason}")


def nearest(sorted_t: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index into ``sorted_t`` of the nearest time to each of ``t``."""
    i = np.clip(np.searchsorted(sorted_t, t), 1, max(len(sorted_t) - 1, 1))
    left = sorted_t[i - 1]
    right = sorted_t[np.minimum(i, len(sorted_t) - 1)]
    return np.where(np.abs(t - left) <= np.abs(right - t), i - 1, i)


def export_session(db: SessionReader, session_id: int, out_dir: Path, *,
                   progress: Callable[[float], bool | None] | None = None,
                   overwrite: bool = False) -> tuple[Path, Path, Path]:
    """Write samples.csv, reps.csv and sets.csv into ``out_dir``; returns their paths.
    ``db``: the station's ``Database``, or a team session's ``BundleReader``.

    The session is read first, so a missing or damaged one (``StorageError``)
    creates no folder. An earlier export in ``out_dir`` is kept
    (``WouldOverwrite``) unless ``overwrite``; a folder or file that cannot be
    written is an ``OutputError``. ``progress(fraction)`` is called as blocks
    are written; returning False cancels (``ExportCancelled``, and the
    partial files are removed). Files are written under a temporary name and
    renamed, so a failed export never leaves a half-written file that looks
    complete.
    """
    out_dir = Path(out_dir)
    data = _SessionData.load(db, session_id)
    samples_path = out_dir / "samples.csv"
    reps_path = out_dir / "reps.csv"
    sets_path = out_dir / "sets.csv"
    existing = [p for p in (samples_path, reps_path, sets_path) if p.exists() or p.is_symlink()]
    if existing and not overwrite:
        raise WouldOverwrite(out_dir, existing)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(exc, out_dir) from None
    _atomic(samples_path, lambda f: _write_samples(f, data, progress), binary=True)
    _atomic(reps_path, lambda f: _write_reps(f, data))
    _atomic(sets_path, lambda f: _write_sets(f, data))
    return samples_path, reps_path, sets_path


class _SessionData:
    """What the export needs, read once: samples, calibrations, and the
    contacts the live judgement stored (so nothing is judged again here)."""

    def __init__(self, info: SessionInfo, force: ForceBlock, distance: DistanceBlock,
                 calibrations: list[CalibrationRecord], events: list[EventRecord],
                 sets: list[SetRecord], reps: list[RepRecord],
                 logged_sets: list[LoggedSet] | None = None):
        self.info, self.force, self.distance = info, force, distance
        self.sets, self.reps = sets, reps
        self.logged_sets = logged_sets or []
        self.calibrations = calibrations
        self.contacts = stored_contacts(events)
        # The origin History and the stored rep times count from.
        self.t0_us = stored_time_origin_us(events, force, distance) or 0

    @classmethod
    def load(cls, db: SessionReader, session_id: int) -> "_SessionData":
        info = db.get_session(session_id)
        return cls(info, db.load_force(session_id), db.load_distance(session_id),
                   db.calibrations(session_id), db.events(session_id), db.sets(session_id),
                   db.reps(session_id), db.logged_sets(session_id))

    def session_cells(self) -> dict:
        """SESSION_COLUMNS' values: the athlete, the start in the exporting
        machine's local time (as History shows it), the session's id, the exercise."""
        return {"athlete": self.info.athlete_name or "",
                "date": date_time_text(local_time(self.info.started_at)),
                "session": self.info.id, "exercise": self.info.exercise}

    @property
    def has_distance(self) -> bool:
        return (self.info.distance_sensor or "hcsr04") != "none"


def _atomic(path: Path, write: Callable, binary: bool = False) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        with (open(tmp, "wb") if binary else
              open(tmp, "w", encoding="utf-8", newline="")) as f:
            write(f)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise _output_error(exc, path) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _write_samples(f, data: _SessionData, progress) -> None:
    force, distance = data.force, data.distance
    channels = force.channels
    names = CHANNEL_NAMES[:channels]
    f.write(",".join(["t_s", *(f"{n}_n" for n in names), "total_n", "gap_mm",
                      "contact", *(f"raw_{n}_counts" for n in names)]).encode() + b"\n")
    n = len(force)
    if n == 0:
        return
    force_n = ForceCalibration.from_records(channels, data.calibrations).newtons(
        force.raw, force.t_device_us)
    t_s = (force.t_device_us - data.t0_us) / 1e6
    total = force_n.sum(axis=1)
    gap_mm = _nearest_gap(force.t_device_us, distance)
    contact = _contact_flags(force.t_device_us, data)
    unknown = np.full(n, not data.has_distance)
    for lo in range(0, n, ROWS_PER_BLOCK):
        part = slice(lo, min(n, lo + ROWS_PER_BLOCK))
        f.write(csvformat.format_csv_block([
            csvformat.fixed(t_s[part], 6),
            *(csvformat.fixed(force_n[part, ch], 2) for ch in range(channels)),
            csvformat.fixed(total[part], 2),
            csvformat.integer(gap_mm[part], blank=gap_mm[part] < 0),
            csvformat.labels(contact[part], ("0", "1"), blank=unknown[part]),
            *(csvformat.integer(force.raw[part, ch]) for ch in range(channels)),
        ]))
        if progress is not None and progress(part.stop / n) is False:
            raise ExportCancelled("export cancelled")


def _nearest_gap(t_us: np.ndarray, distance: DistanceBlock) -> np.ndarray:
    """The gap of the nearest distance sample; -1 where it saw nothing (or none exist)."""
    if not len(distance):
        return np.full(len(t_us), -1, dtype=np.int32)
    return distance.gap_mm[nearest(distance.t_device_us, t_us)]


def _contact_flags(t_us: np.ndarray, data: _SessionData) -> np.ndarray:
    """The contact state after the latest stored change at or before each sample."""
    if not data.contacts:
        return np.zeros(len(t_us), dtype=np.uint8)
    times = np.array([t for t, _ in data.contacts], dtype=np.int64)
    states = np.array([on for _, on in data.contacts], dtype=np.uint8)
    idx = np.searchsorted(times, t_us, side="right") - 1
    return np.where(idx >= 0, states[np.maximum(idx, 0)], 0).astype(np.uint8)


def _write_reps(f, data: _SessionData) -> None:
    reps = data.reps
    extra = sorted({RENAMED.get(k, k) for r in reps for k in r.metrics}
                   - set(REP_COLUMNS) - {"index", "set_index"})
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow([*REP_COLUMNS, *extra])
    # A rep's exercise is its set's (a workout mixes rows and shrugs in a session).
    exercise_of = {s.set_index: s.exercise for s in data.sets}
    for rep in reps:
        m = {RENAMED.get(k, k): v for k, v in rep.metrics.items()}
        m.update(data.session_cells())
        m.update({"exercise": exercise_of.get(rep.set_index, data.info.exercise),
                  "set": rep.set_index, "rep": rep.rep_index,
                  "valid": _verdict_cell(rep.valid), "reason": rep.reason or "",
                  "corrected": int(rep.judged is not None)})
        if rep.judged is not None:
            m.update({"judged_valid": _verdict_cell(rep.judged[0]),
                      "judged_reason": rep.judged[1] or ""})
        writer.writerow([_cell(m.get(c)) for c in (*REP_COLUMNS, *extra)])


def _write_sets(f, data: _SessionData) -> None:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(SET_COLUMNS)
    t0 = data.t0_us
    reps_of = Counter(r.set_index for r in data.reps)
    for s in in_order(data.sets, data.logged_sets):
        if isinstance(s, LoggedSet):
            m = {**data.session_cells(), "exercise": s.exercise, "logged": 1, "reps": s.reps,
                 "load_kg": s.load_kg, "hold_s": s.hold_s, "rpe": s.rpe, "notes": s.notes}
            writer.writerow([_cell(m.get(c)) for c in SET_COLUMNS])
            continue
        m = dict(s.metrics)
        m.update(data.session_cells())
        m.update({"exercise": s.exercise, "logged": 0, "reps": reps_of[s.set_index],
                  "set": s.set_index, "variant": s.variant or "",
                  "added_load_kg": s.added_load_kg, "manual": int(s.manual),
                  "t_start_s": round((s.t_start_us - t0) / 1e6, 3),
                  "t_end_s": None if s.t_end_us is None else round((s.t_end_us - t0) / 1e6, 3),
                  "valid_reps": s.valid_reps, "no_reps": s.no_reps,
                  "corrected": int(s.corrected), "rpe": s.rpe, "notes": s.notes})
        writer.writerow([_cell(m.get(c)) for c in SET_COLUMNS])


def _verdict_cell(valid: bool | None) -> str:
    return "" if valid is None else str(int(valid))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)
