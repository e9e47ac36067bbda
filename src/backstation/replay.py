"""Replay a stored session through the same judgement as live
(``backstation replay``): the stored raw counts, device times and
calibrations in, the same sets and reps out.

What live stored beside the samples, and how it is applied here (see
session.py):

- the session row: contact threshold, body mass, exercise, force rate,
  distance sensor and channel count build the same ``AnalysisConfig``;
- calibrations (device CALs and software tares) at their ``t_device_us``;
- ``manual_set`` events: ``start``/``end`` at their ``t_device_us``, asked
  for after feeding every sample up to that time, as live did (the pipeline
  applies them at that point of the time-ordered stream, so the chunking
  does not matter);
- ``set_labels`` events: the variant and added load of the sets ending after
  their time;
- ``exercise`` events: the exercise of the sets opened from their time on,
  asked for in the order live asked, between the manual set starts and
  ends (one without a time, from the start);
- the ``time_origin`` event: the sample the ``_s`` times count from.

A coach's corrections (storage/corrections.py) are applied after judging,
in ``to_json``: the judgement itself is what live made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace

from .analysis import AnalysisEvent, ContactChanged
from .samples import DistanceBlock, ForceBlock
from .session import (
    ManualSetRequest, SessionJudge, SessionOptions, analysis_config, session_json,
    stored_stats,
)
from .storage import EventRecord, RepRecord, SetRecord
from .storage.bundle_reader import SessionReader
from .storage.corrections import Correction, corrected
from .storage.records import (
    EXERCISE_EVENT, HEALTH_EVENT, MANUAL_SET_EVENT, SET_LABELS_EVENT, STALL_EVENT,
    contact_intervals_us, stored_shrug, stored_time_origin_us,
)

REPLAY_CHUNK_US = 1_000_000


def chunks(force: ForceBlock, distance: DistanceBlock, chunk_us: int = REPLAY_CHUNK_US,
           cuts_us: tuple[int, ...] | list[int] = ()
           ) -> Iterator[tuple[ForceBlock, DistanceBlock]]:
    """The session in time slices, as a live stream would have brought it."""
    for _, force_slice, distance_slice in _slices(force, distance, chunk_us, cuts_us):
        yield force_slice, distance_slice


def _slices(force: ForceBlock, distance: DistanceBlock, chunk_us: int,
            cuts_us: tuple[int, ...] | list[int]
            ) -> Iterator[tuple[int, ForceBlock, DistanceBlock]]:
    """(hi, force, distance): the samples in [lo, hi), a slice every
    ``chunk_us`` and also one ending at each of ``cuts_us``."""
    times = [b.t_device_us for b in (force, distance) if len(b)]
    if not times:
        return
    start = int(min(t[0] for t in times))
    end = int(max(t[-1] for t in times))
    bounds = sorted({*range(start + chunk_us, end + 1, chunk_us),
                     *(c for c in cuts_us if start < c <= end), end + 1})
    lo = start
    for hi in bounds:
        yield hi, force.between(lo, hi), distance.between(lo, hi)
        lo = hi


class _KeptRecords:
    """A writer's record half, in memory: the latest record per set and rep,
    as the database keeps them (events are live's to store, not a replay's)."""

    def __init__(self) -> None:
        self.sets: dict[int, SetRecord] = {}
        self.reps: dict[tuple[int, int], RepRecord] = {}

    def add_set(self, record: SetRecord) -> None:
        self.sets[record.set_index] = record

    def add_rep(self, record: RepRecord) -> None:
        self.reps[(record.set_index, record.rep_index)] = record

    def add_event(self, *args, **kwargs) -> None:
        pass

    def add_calibration(self, *args, **kwargs) -> None:
        pass


def stall_count(events: list[EventRecord]) -> int:
    """The ``stalls`` of a session's JSON: its stored stall events (record and replay alike)."""
    return sum(1 for e in events if e.kind == STALL_EVENT)


def manual_requests(events: list[EventRecord]) -> list[ManualSetRequest]:
    """The stored manual set starts and ends, in the order they were asked for."""
    return [ManualSetRequest(e.detail == "start", int(e.t_device_us)) for e in events
            if e.kind == MANUAL_SET_EVENT and e.t_device_us is not None]


@dataclass(frozen=True)
class ExerciseRequest:
    """The exercise chosen at device time ``t_us`` (None: from the start)."""

    exercise: str
    t_us: int | None


def judge_requests(events: list[EventRecord]) -> list[ManualSetRequest | ExerciseRequest]:
    """The stored manual set starts and ends and exercise choices, in the
    order they were asked for (the order they were stored in)."""
    out: list[ManualSetRequest | ExerciseRequest] = []
    for e in events:
        if e.kind == MANUAL_SET_EVENT and e.t_device_us is not None:
            out.append(ManualSetRequest(e.detail == "start", int(e.t_device_us)))
        elif e.kind == EXERCISE_EVENT:
            out.append(ExerciseRequest(e.detail, None if e.t_device_us is None
                                       else int(e.t_device_us)))
    return out


class Replay:
    """A stored session judged again; ``events`` keeps every analysis event,
    ``set_records``/``rep_records`` what live would have stored. ``db``: the
    station's ``Database``, or a team session's ``BundleReader``."""

    def __init__(self, db: SessionReader, session_id: int):
        self.info = info = db.get_session(session_id)
        options = SessionOptions(body_mass_kg=info.body_mass_kg, contact_mm=info.contact_mm,
                                 exercise=info.exercise)
        config = analysis_config(options, None, force_rate_hz=info.force_rate_hz or 80,
                                 distance_sensor=info.distance_sensor or "hcsr04")
        stored_events = db.events(session_id)
        shrug = stored_shrug(stored_events)
        if shrug is not None:            # the squeeze depth and hold the shrugs were judged by
            config = replace(config, shrug_squeeze_mm=shrug[0], shrug_hold_s=shrug[1])
        self._kept = _KeptRecords()
        self.judge = SessionJudge(session_id, config, info.force_channels or 2,
                                  self._kept)   # type: ignore[arg-type]
        self.stalls = stall_count(stored_events)
        self.health = next((json.loads(e.detail) for e in reversed(stored_events)
                            if e.kind == HEALTH_EVENT), None)
        self.judge.t0_us = stored_time_origin_us(stored_events)   # None: feed takes it
        for event in stored_events:
            if event.kind == SET_LABELS_EVENT:
                labels = json.loads(event.detail)
                self.judge.set_labels(labels["variant"], labels["added_load_kg"],
                                      t_us=event.t_device_us)
        self.calibrations = db.calibrations(session_id)
        self.ignored_calibrations: list[str] = []   # stored before the rule refused them
        for cal in self.calibrations:
            try:
                self.judge.calibrate(cal.channel, cal.offset_counts, cal.counts_per_newton,
                                     t_from_us=cal.t_device_us)
            except ValueError as exc:
                self.ignored_calibrations.append(f"stored calibration of channel {cal.channel} "
                                                 f"ignored: {exc}")
        self.manual = manual_requests(stored_events)
        requests = judge_requests(stored_events)
        for request in [r for r in requests if r.t_us is None]:   # chosen before any sample
            self.judge.set_exercise(request.exercise, None)
        self.corrections = db.corrections(session_id)     # a coach's, applied by to_json
        # what the coach saw (the reps and sets they name), when there is any
        self._stored = ((db.judged_sets(session_id), db.judged_reps(session_id))
                        if self.corrections else ([], []))
        self.force = db.load_force(session_id)
        self.distance = db.load_distance(session_id)
        self.events: list[AnalysisEvent] = []
        todo = [r for r in requests if r.t_us is not None]
        cuts = [r.t_us + 1 for r in todo]      # live had fed up to and including t_us
        for hi, force, distance in _slices(self.force, self.distance, REPLAY_CHUNK_US, cuts):
            self.events += self.judge.feed(force, distance)
            while todo and todo[0].t_us < hi:
                self.events += self._apply(todo.pop(0))
        for request in todo:
            self.events += self._apply(request)
        self.events += self.judge.finish()

    def _apply(self, request: ManualSetRequest | ExerciseRequest) -> list[AnalysisEvent]:
        if isinstance(request, ExerciseRequest):
            return self.judge.set_exercise(request.exercise, request.t_us)
        if request.start:
            return self.judge.start_set(request.t_us)
        return self.judge.end_set(request.t_us)

    @property
    def set_records(self) -> list[SetRecord]:
        return [self._kept.sets[i] for i in sorted(self._kept.sets)]

    @property
    def rep_records(self) -> list[RepRecord]:
        return [self._kept.reps[k] for k in sorted(self._kept.reps)]

    def contact_intervals_us(self) -> list[tuple[int, int | None]]:
        """(start, end) of each contact this replay found; end None if the
        session ended in contact. History and export read the stored ones
        (storage.records.stored_contacts): this is for checking that they agree."""
        return contact_intervals_us((e.t_us, e.in_contact) for e in self.events
                                    if isinstance(e, ContactChanged))

    def to_json(self) -> dict:
        """What ``record`` printed; with a coach's corrections, the sets and
        reps as the coach left them (storage/corrections.py): a corrected rep
        has the judge's verdict in ``judged``, a corrected set ``corrected``,
        and ``corrections`` lists them."""
        info = self.info
        device = {"device_id": info.device_id, "firmware": info.firmware,
                  "protocol": info.protocol}
        out = session_json(info.id, device, stored_stats(info), self.judge.sets,
                           self.judge.t0_us, self.stalls, self.health)
        if self.corrections:
            aimed = _aimed(self.corrections, *self._stored, self.set_records, self.rep_records)
            _correct_json(out, *corrected(self.set_records, self.rep_records,
                                          [c for c in aimed if c is not None]))
            out["corrections"] = [{"set": c.set_index, "rep": c.rep_index, "action": c.action,
                                   "made_at": c.made_at, "applied": a is not None}
                                  for c, a in zip(self.corrections, aimed)]
        return out


def _aimed(made: list[Correction], stored_sets: list[SetRecord], stored_reps: list[RepRecord],
           sets: list[SetRecord], reps: list[RepRecord]) -> list[Correction | None]:
    """Each correction aimed at this judgement's rep or set: the one that
    starts where the stored rep or set the coach corrected started (the same
    judge starts it at the same sample); None where none does (a judge that
    has changed since may number its reps otherwise)."""
    def starts(records, key):
        return {key(r): r.t_start_us for r in records}
    was_rep = starts(stored_reps, lambda r: (r.set_index, r.rep_index))
    was_set = starts(stored_sets, lambda s: s.set_index)
    rep_at = {r.t_start_us: (r.set_index, r.rep_index) for r in reps}
    set_at = {s.t_start_us: s.set_index for s in sets}
    out: list[Correction | None] = []
    for c in made:
        if c.rep_index is None:
            index = set_at.get(was_set.get(c.set_index))
            out.append(None if index is None else replace(c, set_index=index))
        else:
            key = rep_at.get(was_rep.get((c.set_index, c.rep_index)))
            out.append(None if key is None else replace(c, set_index=key[0], rep_index=key[1]))
    return out


def _correct_json(out: dict, sets: list[SetRecord], reps: list[RepRecord]) -> None:
    """``out["sets"]`` (``session_json``) made to say what the corrected records say."""
    kept_sets = {s.set_index: s for s in sets}
    kept_reps = {(r.set_index, r.rep_index): r for r in reps}
    out_sets = []
    for s in out["sets"]:
        record = kept_sets.get(s["index"])
        if record is None:
            continue
        s["reps"] = [r for r in s["reps"] if (s["index"], r["index"]) in kept_reps]
        for r in s["reps"]:
            rep = kept_reps[(s["index"], r["index"])]
            if rep.judged is not None:
                r["valid"], r["reason"] = rep.valid, rep.reason
                r["judged"] = {"valid": rep.judged[0], "reason": rep.judged[1]}
        if record.corrected:
            s["valid_reps"], s["no_reps"], s["corrected"] = record.valid_reps, record.no_reps, True
        out_sets.append(s)
    out["sets"] = out_sets
