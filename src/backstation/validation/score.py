"""Run the judge on a generated session through its public API and score it.

Judged reps are matched to true reps by time overlap (the pair with the
largest intersection-over-union first). Per phenomenon tag: recall of true
reps, phantom reps per 100 true reps, verdict-and-reason accuracy (grey-zone
reps excluded and counted apart), p99 start and end errors, peak-force error
and the errors of range, closest gap and top hold. The worst cases keep their
seed so that ``bench_accuracy.py --show SEED`` can replay one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..analysis.config import AnalysisConfig
from .truth import Session, TrueRep

TARGETS = {"recall_pct": 99.5, "phantom_per_100": 0.3, "verdict_pct": 99.0,
           "p99_timing_ms": 150.0, "peak_pct": 2.0}


@dataclass
class JudgedRep:
    set_index: int
    valid: bool | None
    reason: str | None
    t_start_s: float
    t_end_s: float
    peak_force_n: float | None
    rom_mm: float | None
    min_gap_mm: float | None
    top_hold_s: float | None
    manual_set: bool


@dataclass
class RepScore:
    tags: tuple[str, ...]
    matched: bool
    grey: bool
    verdict_ok: bool | None = None      # None: not scored (grey or unmatched)
    start_err_ms: float | None = None
    end_err_ms: float | None = None
    peak_err_pct: float | None = None
    rom_err_mm: float | None = None
    gap_err_mm: float | None = None
    hold_err_s: float | None = None


@dataclass
class Problem:
    seed: int
    model: str
    severity: float
    what: str


@dataclass
class SessionScore:
    seed: int
    model: str
    tags: tuple[str, ...]
    true_reps: int
    reps: list[RepScore]
    phantoms: int
    problems: list[Problem]
    elapsed_s: float = 0.0
    crashed: bool = False


def run_judge(session: Session):
    """Feed the session to the judge the way the host does; returns the pipeline."""
    from ..analysis import AnalysisConfig, AnalysisPipeline
    p = AnalysisPipeline(AnalysisConfig(**session.config), channels=session.channels)
    for channel, offset, scale in session.calibration:
        p.set_calibration(channel, offset, scale)
    events = list(session.manual)
    newest_us = None
    for force, dist in session.chunks:
        first = min([int(x[0]) for x in (force.t_device_us, dist.t_device_us) if len(x)], default=None)
        while events and first is not None and first / 1e6 >= events[0][0]:
            _, what = events.pop(0)
            if newest_us is not None:
                (p.start_set if what == "start" else p.end_set)(newest_us)
        p.feed(force, dist)
        for x in (force.t_device_us, dist.t_device_us):
            if len(x):
                newest_us = max(newest_us or 0, int(x[-1]))
    for _, what in events:
        if newest_us is not None:
            (p.start_set if what == "start" else p.end_set)(newest_us)
    p.finish()
    return p


def judged_reps(pipeline) -> list[JudgedRep]:
    out = []
    for s in pipeline.sets:
        for r in s.reps:
            out.append(JudgedRep(s.index, r.valid, r.reason, r.t_start_us / 1e6, r.t_end_us / 1e6,
                                 r.peak_force_n, r.rom_mm, r.min_gap_mm, r.top_hold_s, bool(s.manual)))
    return out


def match(truth: list[TrueRep], got: list[JudgedRep]) -> dict[int, int]:
    """true index -> judged index, by the largest overlap first."""
    pairs = []
    for i, t in enumerate(truth):
        for j, g in enumerate(got):
            inter = min(t.t_end_s, g.t_end_s) - max(t.t_start_s, g.t_start_s)
            if inter <= 0:
                continue
            union = max(t.t_end_s, g.t_end_s) - min(t.t_start_s, g.t_start_s)
            pairs.append((inter / union, i, j))
    pairs.sort(reverse=True)
    used_t, used_g, out = set(), set(), {}
    for _, i, j in pairs:
        if i in used_t or j in used_g:
            continue
        used_t.add(i)
        used_g.add(j)
        out[i] = j
    return out


def seen_edges(t: TrueRep, gaps_s: list[tuple[float, float]]) -> tuple[float, float]:
    """A rep's start and end as the stream could show them: an edge inside a
    stream gap is seen at the gap's edge (the first sample after it for a
    start, the last before it for an end a gap cut off)."""
    start, end = t.t_start_s, t.t_end_s
    for a, b in gaps_s:
        if a <= start < b:
            start = b
        if start < a < end:
            end = a
    return start, end


def score_session(session: Session, got: list[JudgedRep]) -> SessionScore:
    truth = session.truth
    m = match(truth, got)
    reps, problems = [], []
    sid, model = session.seed, session.model

    def problem(sev: float, what: str) -> None:
        problems.append(Problem(sid, model, sev, what))

    for i, t in enumerate(truth):
        if not t.scored:
            continue
        tags = tuple(sorted(session.rep_tags(t)))
        if i not in m:
            reps.append(RepScore(tags, False, t.grey))
            problem(3.0, f"missed rep {t.t_start_s:.2f}-{t.t_end_s:.2f}s (truth {t.valid}/{t.reason}; "
                         f"{', '.join(t.tags) or '-'})")
            continue
        g = got[m[i]]
        rs = RepScore(tags, True, t.grey)
        seen_start, seen_end = seen_edges(t, session.gaps_s)
        rs.start_err_ms = (g.t_start_s - seen_start) * 1000
        rs.end_err_ms = (g.t_end_s - seen_end) * 1000
        if not t.grey:
            rs.verdict_ok = (g.valid == t.valid) and (g.reason in t.reasons)
            if not rs.verdict_ok:
                problem(2.0, f"rep {t.t_start_s:.2f}s judged {g.valid}/{g.reason}, truth {t.valid}/{t.reason} "
                             f"(min gap {t.min_gap_mm:.0f} mm; {', '.join(t.tags) or '-'})")
        if g.peak_force_n is not None and math.isfinite(t.peak_force_n) and t.peak_force_n > 0:
            rs.peak_err_pct = (g.peak_force_n / t.peak_force_n - 1) * 100
            if abs(rs.peak_err_pct) > TARGETS["peak_pct"]:
                problem(1.0 + min(1.0, abs(rs.peak_err_pct) / 20),
                        f"rep {t.t_start_s:.2f}s peak {g.peak_force_n:.0f} N vs {t.peak_force_n:.0f} N")
        worst = max(abs(rs.start_err_ms), abs(rs.end_err_ms))
        if worst > TARGETS["p99_timing_ms"]:
            problem(1.0 + min(1.0, worst / 2000),
                    f"rep {t.t_start_s:.2f}-{t.t_end_s:.2f}s judged {g.t_start_s:.2f}-{g.t_end_s:.2f}s")
        if g.rom_mm is not None:
            rs.rom_err_mm = g.rom_mm - t.rom_mm
        if g.min_gap_mm is not None:
            rs.gap_err_mm = g.min_gap_mm - t.min_gap_mm
        if g.top_hold_s is not None:
            rs.hold_err_s = g.top_hold_s - t.top_hold_s
        reps.append(rs)
    phantoms = 0
    # Without a distance sensor the judge cannot see range: a wiggle is no phantom there.
    has_distance = AnalysisConfig(**session.config).has_distance
    deep = [t.no_rep and has_distance for t in truth]
    hidden = [(t.t_start_s, t.t_end_s) for t, d in zip(truth, deep) if not t.scored and not d]
    matched_g = {j for i, j in m.items() if not deep[i]}
    for j, g in enumerate(got):
        if j in matched_g:
            continue
        if any(min(b, g.t_end_s) > max(a, g.t_start_s) for a, b in hidden):
            continue
        phantoms += 1
        problem(3.0, f"phantom rep {g.t_start_s:.2f}-{g.t_end_s:.2f}s ({g.valid}/{g.reason})")
    problems.sort(key=lambda p: -p.severity)
    return SessionScore(sid, model, tuple(sorted(session.tags)), sum(1 for t in truth if t.scored),
                        reps, phantoms, problems[:5])


def judge_and_score(session: Session) -> SessionScore:
    """Judge and score one session; a judge that raises scores as finding nothing."""
    import time
    t0 = time.process_time()
    try:
        got = judged_reps(run_judge(session))
        crash = None
    except Exception as exc:   # the judge's bug, reported as the worst case it is
        got, crash = [], f"judge raised {type(exc).__name__}: {exc}"
    out = score_session(session, got)
    if crash is not None:
        out.problems.insert(0, Problem(session.seed, session.model, 4.0, crash))
        out.crashed = True
    out.elapsed_s = time.process_time() - t0
    return out


# ----- aggregation ---------------------------------------------------------------------

@dataclass
class Figures:
    tag: str
    sessions: int = 0
    true_reps: int = 0
    found: int = 0
    phantoms: int | None = 0
    scored: int = 0
    correct: int = 0
    grey: int = 0
    start_err: list[float] = field(default_factory=list)
    end_err: list[float] = field(default_factory=list)
    edge_err: list[float] = field(default_factory=list)     # the worse of a rep's two
    peak_err: list[float] = field(default_factory=list)
    rom_err: list[float] = field(default_factory=list)
    gap_err: list[float] = field(default_factory=list)
    hold_err: list[float] = field(default_factory=list)

    def add_rep(self, r: RepScore) -> None:
        self.true_reps += 1
        self.grey += r.grey
        if not r.matched:
            return
        self.found += 1
        if r.verdict_ok is not None:
            self.scored += 1
            self.correct += r.verdict_ok
        self.start_err.append(abs(r.start_err_ms))
        self.end_err.append(abs(r.end_err_ms))
        self.edge_err.append(max(abs(r.start_err_ms), abs(r.end_err_ms)))
        for name in ("peak", "rom", "gap", "hold"):
            v = getattr(r, f"{name}_err_pct" if name == "peak" else
                        f"{name}_err_mm" if name in ("rom", "gap") else "hold_err_s")
            if v is not None:
                getattr(self, f"{name}_err").append(abs(v))

    @property
    def recall_pct(self) -> float:
        return 100.0 * self.found / self.true_reps if self.true_reps else float("nan")

    @property
    def phantom_per_100(self) -> float:
        # a session-level tag's reps are all the true reps of its sessions
        if self.phantoms is None or not self.true_reps:
            return float("nan")
        return 100.0 * self.phantoms / self.true_reps

    @property
    def verdict_pct(self) -> float:
        return 100.0 * self.correct / self.scored if self.scored else float("nan")

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    @property
    def p99_start_ms(self) -> float:
        return self.pct(self.start_err, 99)

    @property
    def p99_end_ms(self) -> float:
        return self.pct(self.end_err, 99)

    @property
    def p99_peak_pct(self) -> float:
        return self.pct(self.peak_err, 99)

    @property
    def timing_within_pct(self) -> float:
        """Share of the found reps whose start and end are both within the
        timing target."""
        return 100.0 * float(np.mean(np.array(self.edge_err) <= TARGETS["p99_timing_ms"])) \
            if self.edge_err else float("nan")

    @property
    def peak_within_pct(self) -> float:
        return 100.0 * float(np.mean(np.array(self.peak_err) <= TARGETS["peak_pct"])) if self.peak_err else float("nan")

    def median_err(self, name: str) -> float:
        values = getattr(self, f"{name}_err")
        return float(np.median(values)) if values else float("nan")

    def met(self) -> dict[str, bool]:
        return {"recall": self.recall_pct >= TARGETS["recall_pct"],
                "phantom": self.phantom_per_100 <= TARGETS["phantom_per_100"],
                "verdict": self.verdict_pct >= TARGETS["verdict_pct"],
                "timing": max(self.p99_start_ms, self.p99_end_ms) <= TARGETS["p99_timing_ms"],
                "peak": self.p99_peak_pct <= TARGETS["peak_pct"]}


def aggregate(scores: list[SessionScore]) -> dict[str, Figures]:
    """Figures per tag (a rep carries its own tags and its session's), plus 'ALL'."""
    figs: dict[str, Figures] = {}

    def fig(tag: str) -> Figures:
        if tag not in figs:
            figs[tag] = Figures(tag)
        return figs[tag]

    for sc in scores:
        session_tags = set(sc.tags) | {"ALL"}
        for tag in session_tags:
            f = fig(tag)
            f.sessions += 1
            f.phantoms += sc.phantoms
        for r in sc.reps:
            for tag in set(r.tags) | {"ALL"}:
                fig(tag).add_rep(r)
    # rep-only tags (a tempo of one rep, a release): phantoms belong to sessions
    session_level = {"ALL"}.union(*[set(sc.tags) for sc in scores])
    for tag, f in figs.items():
        if tag not in session_level:
            f.phantoms = None
    return figs


def worst_cases(scores: list[SessionScore], n: int = 12) -> list[Problem]:
    problems = [p for sc in scores for p in sc.problems]
    problems.sort(key=lambda p: (-p.severity, p.seed))
    seen, out = set(), []
    for p in problems:
        if p.seed in seen:
            continue
        seen.add(p.seed)
        out.append(p)
        if len(out) >= n:
            break
    return out
