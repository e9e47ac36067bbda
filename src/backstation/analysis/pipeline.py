"""The analysis pipeline: force and distance blocks in, sets and reps out.

Streaming and causal. Force and distance arrive in separate blocks; samples
are processed in time order (force first on a tie) up to a watermark both
streams have passed, so how the samples are cut into blocks never changes a
result. The distance stream always flows (a missed echo is a -1 sample);
if it stops, force waits at most ``DISTANCE_LAG_S`` for it. Without a
distance sensor only force is processed and contact is unknown.

Where a sample becomes a rep: ``_process`` cuts the pending blocks at the
watermark (and at a manual set start or end, which take effect at their
time in the stream), ``batch.merge`` orders them, the motion gate
(gapclean.py) marks which distance readings are the chest, and ``_walk``
goes through the batch in time order: force samples go to the set segmenter
(sets.py) and the rep tracker (reps.py), accepted readings to the contact
detector (contact.py) and the rep tracker. A finished rep is judged by
verdict.py and measured by metrics.py.

Each set is judged by the exercise in force when the analysis opens it
(``set_exercise``, which takes effect at its time in the stream as a manual
mark does): an inverted row by reps.py, a mid-back shrug by shrugs.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exercises import MID_BACK_SHRUG, check_exercise
from ..samples import DistanceBlock, ForceBlock
from .calibration import ForceCalibration
from .batch import DATA_GAP_US, Batch, merge
from .config import DISTANCE_LAG_S, SET_KEEP_GAP_S, AnalysisConfig
from .contact import ContactDetector
from .force_reps import ForceOnlyRepTracker
from .gapclean import NO_READING_MM, SET_ASIDE_MM, DistanceGate
from .history import History
from .metrics import fill_rep_metrics, fill_set_metrics
from .reps import RepDraft, RepTracker
from .results import AnalysisEvent, ContactChanged, Rep, RepCompleted, SetEnded, SetResult, SetStarted
from .sets import SetSegmenter
from .shrugs import ShrugDraft, ShrugTracker, fill_shrug_metrics, shrug_verdict
from .verdict import verdict

KEEP_S = 10.0            # how far a look-back reaches behind the newest sample
KEEP_US = int(KEEP_S * 1e6)
TARE_WINDOW_US = 1_000_000
MIN_REP_US = 250_000     # a rep (pull and back) takes longer than this even at 2 reps/s
END_OF_TIME_US = 1 << 62


class AnalysisPipeline:
    def __init__(self, config: AnalysisConfig, channels: int = 2, *, reference: bool = False):
        """``reference``: every force sample goes through the judgement one
        by one (the plain twin of the bulk path, for tests and checks)."""
        self.config = config
        self.reference = reference
        self.channels = channels
        self.calibration = ForceCalibration(channels)
        self.sets: list[SetResult] = []
        self.current_set: SetResult | None = None
        self.uncalibrated_samples = 0
        self.late_samples = 0          # arrived behind the watermark: dropped, counted
        self._pend_f: list[ForceBlock] = []
        self._pend_d: list[DistanceBlock] = []
        self._last_f_us: int | None = None
        self._last_d_us: int | None = None
        self._done_us: int | None = None        # everything up to here is processed
        self._prev_force: tuple[int, float] | None = None
        self.forces = History("total_n", *[f"ch{c}_n" for c in range(channels)])
        self.gaps = History("gap_mm", "missing")
        # The last second of raw counts, for a software tare; kept across gaps.
        self._raw = History("total_n", *[f"raw{c}" for c in range(channels)])
        self._contact = ContactDetector(config.contact_mm)
        self._contact_on_us: list[int] = []
        self._segmenter = SetSegmenter(config.load_threshold_n, int(config.set_on_s * 1e6),
                                       int(config.set_off_s * 1e6))
        self._tracker: RepTracker | ForceOnlyRepTracker | ShrugTracker | None = None
        self._gate = DistanceGate()                  # readings it has not decided on wait there
        # (t_us, "start" | "end" | "exercise", exercise): marks not reached yet
        self._marks: list[tuple[int, str, str | None]] = []
        self.exercise = check_exercise(config.exercise)   # the next set's, as far as processed
        self._events: list[AnalysisEvent] = []

    # -- calibration -----------------------------------------------------------
    def set_calibration(self, channel: int, offset_counts: int, counts_per_newton: float,
                        t_from_us: int | None = None) -> None:
        """Device CAL or an app override, for samples after ``t_from_us``."""
        self.calibration.set(channel, offset_counts, counts_per_newton, t_from_us)

    def software_tare(self, t_from_us: int, offsets: dict[int, int] | None = None) -> None:
        """A new zero kept by the app (the device's stored tare is untouched).
        Without ``offsets``: the median raw counts of the last second of
        processed samples up to ``t_from_us``, which must be unloaded."""
        if offsets is None:
            t, cols = self._raw.window(t_from_us - TARE_WINDOW_US, t_from_us)
            if not t.size:
                raise ValueError("no samples in the second before the tare time")
            if cols["total_n"].max() > self.config.load_threshold_n:
                raise ValueError("the bar is loaded: tare needs an unloaded bar")
            offsets = {c: int(round(float(np.median(cols[f"raw{c}"]))))
                       for c in range(self.channels)}
        for channel, offset in offsets.items():
            self.calibration.tare(channel, offset, t_from_us)

    # -- samples in ------------------------------------------------------------
    def feed(self, force: ForceBlock, distance: DistanceBlock) -> list[AnalysisEvent]:
        if len(force):
            self._pend_f.append(force)
            self._last_f_us = int(force.t_device_us[-1])
        if len(distance) and self.config.has_distance:
            self._take_distance(self._gate.push(distance))
        self._process(self._watermark())
        return self._take_events()

    def _take_distance(self, decided: DistanceBlock) -> None:
        if len(decided):
            self._pend_d.append(decided)
            self._last_d_us = int(decided.t_device_us[-1])

    def finish(self) -> list[AnalysisEvent]:
        """End of stream: process everything and close the open set at the
        last sample. A rep the end cut off (not yet locked out) is dropped:
        stopping the recording is not the athlete's fault."""
        if self.config.has_distance:
            self._take_distance(self._gate.flush())
        self._process(None)
        if self._prev_force is not None:
            self._close_set(self._prev_force[0], "stop")
        return self._take_events()

    def start_set(self, t_us: int) -> list[AnalysisEvent]:
        """Manual start (the coach): a set from ``t_us`` that only ``end_set``
        ends. It takes effect at ``t_us`` in the stream: samples up to it
        are judged first (now, or when they have arrived), so a replay that
        makes the same calls gives the same result in any cut. A time
        already passed takes effect at the newest sample processed."""
        return self._mark(t_us, "start")

    def end_set(self, t_us: int) -> list[AnalysisEvent]:
        """Manual end, at ``t_us`` in the stream as ``start_set``; as at the
        end of the data, a rep not yet locked out is dropped."""
        return self._mark(t_us, "end")

    def set_exercise(self, exercise: str, t_us: int | None = None) -> list[AnalysisEvent]:
        """The exercise of the sets the analysis opens after ``t_us`` in the
        stream (a set open then keeps its own). It takes effect at ``t_us``
        as ``start_set`` does, so a replay making the same call gives the
        same sets in any cut; None: from the start (before any sample)."""
        check_exercise(exercise)
        if t_us is None:
            self.exercise = exercise
            return []
        return self._mark(t_us, "exercise", exercise)

    def _mark(self, t_us: int, kind: str, exercise: str | None = None) -> list[AnalysisEvent]:
        self._marks.append((int(t_us), kind, exercise))
        self._marks.sort(key=lambda m: m[0])     # stable: same-time marks keep their order
        self._process(self._watermark())
        return self._take_events()

    def _apply_mark(self, t_us: int, kind: str, exercise: str | None) -> None:
        if kind == "exercise":
            self.exercise = exercise
            return
        start = kind == "start"
        if self._done_us is not None:
            t_us = max(t_us, self._done_us)
        if self.current_set is not None:
            self._close_set(t_us, "stop")
        if start:
            loaded = self._prev_force is not None and self._prev_force[1] > self.config.load_threshold_n
            self._segmenter.begin(manual=True, unloaded_at_us=None if loaded else t_us)
            self._open_set(t_us, manual=True)
        else:
            self._segmenter.reset()

    def _watermark(self) -> int | None:
        if self._last_f_us is None:
            return None if not self.config.has_distance else -1
        if not self.config.has_distance:
            return self._last_f_us
        lag_limit = self._last_f_us - int(DISTANCE_LAG_S * 1e6)
        d = self._last_d_us if self._last_d_us is not None else lag_limit
        return min(self._last_f_us, max(d, lag_limit))

    def _take_events(self) -> list[AnalysisEvent]:
        out, self._events = self._events, []
        return out

    # -- the time-ordered loop -------------------------------------------------
    def _process(self, upto_us: int | None) -> None:
        """Judge every pending sample up to ``upto_us`` (None: all), with the
        manual marks at their place in time."""
        while self._marks and (upto_us is None or self._marks[0][0] <= upto_us):
            t_mark, kind, exercise = self._marks.pop(0)
            self._process_samples(t_mark)
            self._apply_mark(t_mark, kind, exercise)
        self._process_samples(upto_us)

    def _process_samples(self, upto_us: int | None) -> None:
        force = _joined(self._pend_f, lambda: ForceBlock.concat(self._pend_f, self.channels))
        dist = _joined(self._pend_d, lambda: DistanceBlock.concat(self._pend_d))
        self._pend_f, self._pend_d = [], []
        f_t = force.t_device_us if force is not None else np.empty(0, np.int64)
        d_t = dist.t_device_us if dist is not None else np.empty(0, np.int64)
        nf = len(f_t) if upto_us is None else int(np.searchsorted(f_t, upto_us, "right"))
        nd = len(d_t) if upto_us is None else int(np.searchsorted(d_t, upto_us, "right"))
        if force is not None and nf < len(f_t):
            self._pend_f.append(force[nf:])
        if dist is not None and nd < len(d_t):
            self._pend_d.append(dist[nd:])
        if nf == 0 and nd == 0:
            return
        newtons = (self.calibration.newtons(force.raw[:nf], f_t[:nf]) if nf
                   else np.empty((0, self.channels)))
        raw = force.raw[:nf] if nf else np.empty((0, self.channels), np.int32)
        gap_mm = dist.gap_mm[:nd] if nd else np.empty(0, np.int32)
        batch = merge(f_t[:nf], newtons, raw, d_t[:nd], gap_mm, self._done_us)
        self.late_samples += batch.late
        self._walk(batch)
        if batch.last_us is not None:
            self._done_us = batch.last_us
        self._trim()

    # -- the walk through one batch, a run of samples at a time ------------------
    # Almost every force sample changes nothing but timers: the load stays on
    # one side of the threshold, the rep tracker waits for the next gap
    # reading. Between two distance readings the set segmenter and the rep
    # tracker say, from numpy over the whole run, how many samples they would
    # answer with nothing; those are taken in bulk (their history was appended
    # with the block, their timers advance at once) and only the first sample
    # that may change something, every distance reading and every stream gap
    # go through one at a time. The results are those of the sample-by-sample
    # walk (``reference=True``), in any cut of the stream: a differential test
    # runs both on long random streams (tests/test_analysis_reference.py).

    def _walk(self, b: Batch) -> None:
        ok = b.f_ok
        ok_at = np.flatnonzero(ok)                      # force index of each calibrated sample
        cur = _Cursor(b, ok_t=b.f_t_us[ok_at], ok_f=b.f_total_n[ok_at], ok_at=ok_at.tolist(),
                      ok_before=np.concatenate([[0], np.cumsum(ok)]).tolist())
        cur.ok_t_list, cur.ok_f_list = cur.ok_t.tolist(), cur.ok_f.tolist()
        self.forces.extend(cur.ok_t, cur.ok_f, b.f_channels_n[ok_at])
        self._raw.extend(cur.ok_t, cur.ok_f, b.f_raw[ok_at])
        missed = b.d_gap_mm < 0
        self.gaps.extend(b.d_t_us, np.where(missed, np.nan, b.d_gap_mm), missed)
        # Samples that must be taken singly whatever the state: a stream gap
        # before them, or a long wait since the previous calibrated force.
        single = b.f_gap.copy()
        if cur.ok_t.size:
            waits = np.empty(len(cur.ok_t), np.int64)
            waits[0] = cur.ok_t[0] - self._prev_force[0] if self._prev_force is not None else 0
            np.subtract(cur.ok_t[1:], cur.ok_t[:-1], out=waits[1:])
            single[ok_at] |= waits > DATA_GAP_US
        cur.singles = np.flatnonzero(single).tolist()
        d_t, d_gap_mm, d_after = b.d_t_us.tolist(), b.d_gap_mm.tolist(), b.d_after.tolist()
        d_gap, d_prev = b.d_gap.tolist(), b.d_prev_us.tolist()
        nf = len(b.f_t_us)
        j = 0
        for i in range(len(d_t) + 1):
            end = d_after[i] if i < len(d_t) else nf
            while j < end:
                k = self._quiet_run(cur, j, end)
                if k < end:
                    self._force_sample(cur, k)
                    j = k + 1
                else:
                    j = end
            if i < len(d_t):
                self._sync_segmenter(cur, cur.ok_before[j])   # it says whether the bar is held
                if d_gap[i]:
                    self._on_data_gap(d_prev[i], d_t[i])
                    cur.seg_quiet_to = -1
                self.gaps.see(i + 1)
                self._on_distance(d_t[i], d_gap_mm[i])
        self._sync_segmenter(cur, len(cur.ok_t_list))

    def _sync_segmenter(self, cur: _Cursor, upto: int) -> None:
        """Give the segmenter the calibrated samples taken quietly, up to ``upto``."""
        if upto > cur.seg_from:
            self._segmenter.advance(cur.ok_t[cur.seg_from:upto], cur.ok_f[cur.seg_from:upto])
            cur.seg_from = upto

    def _quiet_run(self, cur: _Cursor, j: int, end: int) -> int:
        """Take force samples j.. that change nothing; return the index of the
        first one that may (or ``end``)."""
        if self.reference:
            return j
        singles = cur.singles
        while cur.next_single < len(singles) and singles[cur.next_single] < j:
            cur.next_single += 1
        if cur.next_single < len(singles) and singles[cur.next_single] < end:
            end = singles[cur.next_single]
        a, c = cur.ok_before[j], cur.ok_before[end]
        if a == c:                                      # uncalibrated only
            self.uncalibrated_samples += end - j
            return end
        if cur.seg_quiet_to < 0:
            self._sync_segmenter(cur, a)
            cur.seg_quiet_to = a + self._segmenter.quiet_count(cur.ok_t[a:], cur.ok_f[a:])
        to = min(c, cur.seg_quiet_to)
        if to > a and self._tracker is not None:
            to = a + self._tracker.force_quiet_count(cur.ok_t[a:to], cur.ok_f[a:to])
        if to > a:
            last_t = cur.ok_t_list[to - 1]
            self._prev_force = (last_t, cur.ok_f_list[to - 1])
            self.forces.see(to)
            self._raw.see(to)
            self._advance_horizon(last_t)
        stop = cur.ok_at[to] if to < c else end
        self.uncalibrated_samples += (stop - j) - (to - a)
        return stop

    def _force_sample(self, cur: _Cursor, k: int) -> None:
        """One force sample that may change something."""
        b = cur.b
        n = cur.ok_before[k]
        self._sync_segmenter(cur, n)
        cur.seg_quiet_to = -1
        if b.f_gap[k]:
            self._on_data_gap(int(b.f_prev_us[k]), int(b.f_t_us[k]))
        if not b.f_ok[k]:
            self.uncalibrated_samples += 1
            return
        t, total = cur.ok_t_list[n], cur.ok_f_list[n]
        prev = self._prev_force
        if prev is not None and t - prev[0] > DATA_GAP_US:
            self._on_data_gap(prev[0], t)
        self.forces.see(n + 1)
        self._raw.see(n + 1)
        self._on_force(t, total)
        cur.seg_from = n + 1

    def _on_force(self, t: int, total: float) -> None:
        """One force sample that may change something (``_quiet_run`` takes the rest)."""
        prev = self._prev_force
        for change, t_change in self._segmenter.update(t, total):
            if change == "start":
                self._open_set(t_change, manual=False)
            elif change == "release" and self._tracker is not None:
                self._finish_drafts(self._tracker.release(t_change))
            elif change == "end":
                self._close_set(t_change, "load")
        if self._tracker is not None:
            self._finish_drafts(self._tracker.on_force(t, total, prev))
        self._prev_force = (t, total)
        self._advance_horizon(t)

    def _advance_horizon(self, t: int) -> None:
        """Look-backs reach KEEP_S behind the newest force sample, or 1 s
        before the open rep's start if that is earlier; never back again."""
        keep = t - KEEP_US
        rep = getattr(self._tracker, "rep", None)
        if rep is not None:
            keep = min(keep, rep.t_start_us - 1_000_000)
        self.forces.advance_horizon(keep)
        self.gaps.advance_horizon(keep)

    def _on_data_gap(self, t_last_us: int, t_next_us: int) -> None:
        """The stream broke (a cable glitch, a reboot) after ``t_last_us`` and
        came back at ``t_next_us``. A set goes on across a gap of up to
        SET_KEEP_GAP_S if the load is on again when the stream returns (the
        segmenter decides at the first force sample): a rep the gap cut
        before it was back to straight is a ``sensor_dropout``, the reps
        before keep their verdicts. A longer gap closes the set. Nothing
        before the gap is looked back at after it."""
        if self.current_set is not None and t_next_us - t_last_us <= SET_KEEP_GAP_S * 1e6:
            self._finish_drafts(self._tracker.cut(t_last_us))
            self._tracker.resume(t_next_us)
            self._segmenter.after_gap(t_last_us)
        else:
            if self.current_set is not None:
                self._close_set(t_last_us, "gap")
            self._segmenter.reset()
        self.forces.clear()
        self.gaps.clear()
        self._contact.forget_path()
        self._prev_force = None

    def _on_distance(self, t: int, gap_mm: int) -> None:
        """One distance reading (already in ``gaps``, marked seen)."""
        change = self._contact.update(t, gap_mm)
        if change is not None:
            if self._contact.in_contact:
                self._contact_on_us.append(change)
            self._events.append(ContactChanged(change, self._contact.in_contact))
        # Only readings of the chest move the rep tracker and the metrics: a
        # held value would be a made-up reading at a new time.
        if isinstance(self._tracker, (RepTracker, ShrugTracker)):
            if gap_mm == NO_READING_MM:
                self._tracker.on_missing()
            elif gap_mm == SET_ASIDE_MM:
                pass                   # not the chest: neither a reading nor a missed one
            else:
                loaded = self._segmenter.holding(t)
                now = self._prev_force is None or self._prev_force[1] > self.config.load_threshold_n
                self._finish_drafts(self._tracker.on_gap(t, float(gap_mm), loaded, now))

    def _trim(self) -> None:
        self.forces.trim()
        self.gaps.trim()
        last = self._raw.last()
        if last is not None:
            self._raw.advance_horizon(last[0] - TARE_WINDOW_US)
            self._raw.trim()
        if len(self._contact_on_us) > 64:
            keep = self.forces.horizon_us
            self._contact_on_us = [c for c in self._contact_on_us if c >= keep]

    # -- sets and reps ---------------------------------------------------------
    def _open_set(self, t_us: int, manual: bool) -> None:
        self.current_set = SetResult(len(self.sets) + 1, self.exercise, t_us, manual=manual)
        # Loaded from the first sample after a stream gap: the athlete was
        # already hanging, there is no getting-on ramp to wait out.
        first_us = self.forces.first_t_us()
        settle = not (first_us is not None and first_us >= t_us)
        if self.exercise == MID_BACK_SHRUG:
            # Without a distance sensor it sees no reading: no shrug is guessed.
            self._tracker = ShrugTracker(self.config.shrug_squeeze_mm, self.config.min_range_mm)
        elif self.config.has_distance:
            self._tracker = RepTracker(self.config.min_range_mm, self.forces, t_us, settle,
                                       contact_mm=self.config.contact_mm,
                                       load_threshold_n=self.config.load_threshold_n)
        else:
            self._tracker = ForceOnlyRepTracker(self.forces, t_us, settle,
                                                self.config.load_threshold_n)
        if self.config.has_distance:
            # The set is known only set_on_s after it began: catch up on the gap since.
            t, gaps = self.gaps.column("gap_mm", t_us, END_OF_TIME_US)
            for ti, g in zip(t.tolist(), gaps.tolist()):
                if g == g:             # loaded: the set began with set_on_s of load
                    self._tracker.on_gap(ti, g, True)
        self._events.append(SetStarted(self.current_set.index, t_us))

    def _close_set(self, t_end_us: int, how: str) -> None:
        """``how``: "load" (the load went off), "gap" (the stream broke: an
        unfinished rep is a sensor_dropout) or "stop" (ended on purpose: an
        unfinished rep is dropped)."""
        if self._tracker is not None:
            close = {"load": self._tracker.release, "gap": self._tracker.cut,
                     "stop": self._tracker.stop}[how]
            self._finish_drafts(close(t_end_us))
        self._tracker = None
        s = self.current_set
        if s is None:
            return
        s.t_end_us = t_end_us
        fill_set_metrics(s)
        self.sets.append(s)
        self.current_set = None
        self._events.append(SetEnded(s))

    def _finish_drafts(self, drafts: list[RepDraft] | list[ShrugDraft]) -> None:
        for draft in drafts:
            s = self.current_set
            if s is None:
                return
            if draft.t_end_us - draft.t_start_us < MIN_REP_US and not (draft.released or draft.cut):
                continue        # no pull lasts this little: timing that fell apart, not a rep
            rep = Rep(s.index, len(s.reps) + 1, None, None, draft.t_start_us, draft.t_end_us)
            if isinstance(draft, ShrugDraft):
                rep.valid, rep.reason = shrug_verdict(draft, self.config.shrug_hold_s)
            else:
                rep.valid, rep.reason, rep.t_contact_us = verdict(
                    draft, self._contact_on_us, self.gaps, self.config.has_distance)
            t_f, fc = self.forces.window(rep.t_start_us, rep.t_end_us)
            t_g, gc = self.gaps.window(rep.t_start_us, rep.t_end_us)
            chans = np.stack([fc[f"ch{c}_n"] for c in range(self.channels)], axis=1) \
                if t_f.size else np.empty((0, self.channels))
            fill_rep_metrics(rep, t_f / 1e6, fc["total_n"], chans, t_g / 1e6, gc["gap_mm"],
                             self.config.force_rate_hz, self.config.body_weight_n)
            if isinstance(draft, ShrugDraft):
                fill_shrug_metrics(rep, draft)
            s.reps.append(rep)
            fill_set_metrics(s)
            self._events.append(RepCompleted(rep))


@dataclass
class _Cursor:
    """Where the walk through one batch has got to."""
    b: Batch
    ok_t: np.ndarray               # calibrated force samples: times, totals
    ok_f: np.ndarray
    ok_at: list[int]               # force index of each calibrated sample
    ok_before: list[int]           # calibrated samples before force index j
    ok_t_list: list[int] = field(default_factory=list)
    ok_f_list: list[float] = field(default_factory=list)
    singles: list[int] = field(default_factory=list)   # force indices taken singly
    next_single: int = 0
    seg_from: int = 0              # calibrated samples before this were given to the segmenter
    seg_quiet_to: int = -1         # ... up to here it says nothing (-1: not worked out)


def _joined(blocks: list, concat):
    if not blocks:
        return None
    return blocks[0] if len(blocks) == 1 else concat()

