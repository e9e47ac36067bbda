"""Judge accuracy on randomised sessions that do not share the judge's
assumptions (src/backstation/validation, docs/validation.md).

Each session is drawn from its seed: 60 % from the rigid-body athlete of
``validation/body.py`` with sensors written apart from the project, 40 % from
the project's simulator driven by random scripts with those sensors'
artefacts on top. Every session goes through ``AnalysisPipeline``'s public
API; judged reps are matched to true reps by time overlap and scored per
phenomenon against the targets: recall >= 99.5 %, phantom reps <= 0.3 per
100, verdict+reason >= 99 % (grey-zone reps apart), p99 start/end error
<= 150 ms, peak force within 2 % (p99).

    python benchmarks/bench_accuracy.py [--sessions 2000] [--seed 0] [--only TAG] [--workers 2]
    python benchmarks/bench_accuracy.py --show SEED     # one session: its truth beside the judged reps
    python benchmarks/bench_accuracy.py --tags          # the phenomenon tags there are
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from common import median  # noqa: F401  (sets up sys.path like every benchmark)

TABLE_MIN_REPS = 20


def _one(seed: int):
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judge_and_score
    t0 = time.process_time()
    session = generate_session(seed)
    gen_s = time.process_time() - t0
    score = judge_and_score(session)
    score.gen_s = gen_s  # type: ignore[attr-defined]
    return score


def _fmt(v: float, spec: str = ".1f", none: str = "-") -> str:
    return none if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def run(seeds: list[int], workers: int):
    if workers <= 1:
        return [_one(s) for s in seeds]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_one, seeds, chunksize=8))


def print_table(scores, only: str | None) -> None:
    from backstation.validation.score import TARGETS, aggregate
    figs = aggregate(scores)
    rows = sorted((f for f in figs.values() if f.true_reps >= TABLE_MIN_REPS or f.tag in ("ALL", only)),
                  key=lambda f: (f.tag != "ALL", f.tag))
    head = (f"{'phenomenon':26s} {'sess':>5s} {'reps':>6s} {'recall%':>8s} {'phant/100':>9s} "
            f"{'verdict%':>8s} {'grey':>5s} {'p99 start':>9s} {'p99 end':>8s} {'t<=150%':>7s} {'p99 peak%':>9s} "
            f"{'peak<=2%':>8s} {'rom mm':>7s} {'gap mm':>7s} {'hold s':>7s}")
    print(head)
    print("-" * len(head))
    for f in rows:
        if only and f.tag not in (only, "ALL"):
            continue
        print(f"{f.tag:26s} {f.sessions:5d} {f.true_reps:6d} {_fmt(f.recall_pct, '.2f'):>8s} "
              f"{_fmt(f.phantom_per_100, '.2f'):>9s} {_fmt(f.verdict_pct, '.2f'):>8s} {f.grey:5d} "
              f"{_fmt(f.p99_start_ms, '.0f'):>9s} {_fmt(f.p99_end_ms, '.0f'):>8s} "
              f"{_fmt(f.timing_within_pct, '.1f'):>7s} {_fmt(f.p99_peak_pct, '.2f'):>9s} {_fmt(f.peak_within_pct, '.1f'):>8s} "
              f"{_fmt(f.median_err('rom'), '.0f'):>7s} {_fmt(f.median_err('gap'), '.0f'):>7s} "
              f"{_fmt(f.median_err('hold'), '.2f'):>7s}")
    print("(t<=150%: found reps with start and end both within 150 ms; "
          "rom / gap / hold: median absolute error; phantoms only for session-wide tags; "
          f"tags with fewer than {TABLE_MIN_REPS} reps left out)")
    overall = figs["ALL"]
    met = overall.met()
    print("\noverall, beside the targets:")
    lines = [
        ("recall of true reps", f"{_fmt(overall.recall_pct, '.2f')} %", f">= {TARGETS['recall_pct']} %", met["recall"]),
        ("phantom reps", f"{_fmt(overall.phantom_per_100, '.2f')} per 100", f"<= {TARGETS['phantom_per_100']} per 100", met["phantom"]),
        ("verdict + reason", f"{_fmt(overall.verdict_pct, '.2f')} % of {overall.scored} (grey apart: {overall.grey})",
         f">= {TARGETS['verdict_pct']} %", met["verdict"]),
        ("p99 start / end error", f"{_fmt(overall.p99_start_ms, '.0f')} / {_fmt(overall.p99_end_ms, '.0f')} ms "
                                  f"({_fmt(overall.timing_within_pct, '.1f')} % within)",
         f"<= {TARGETS['p99_timing_ms']:.0f} ms", met["timing"]),
        ("p99 peak-force error", f"{_fmt(overall.p99_peak_pct, '.2f')} % ({_fmt(overall.peak_within_pct, '.1f')} % within 2 %)",
         f"<= {TARGETS['peak_pct']} %", met["peak"]),
    ]
    for name, ours, goal, ok in lines:
        print(f"  {name:24s} {ours:44s} target {goal:16s} {'met' if ok else 'MISSED'}")


def print_worst(scores) -> None:
    from backstation.validation.score import worst_cases
    crashed = [s for s in scores if getattr(s, "crashed", False)]
    if crashed:
        print(f"\nthe judge raised on {len(crashed)} sessions (seeds {', '.join(str(s.seed) for s in crashed[:10])}"
              f"{' ...' if len(crashed) > 10 else ''})")
    print("\nworst cases (replay one with --show SEED):")
    for p in worst_cases(scores):
        print(f"  seed {p.seed:6d} [{p.model}] {p.what}")


def show(seed: int) -> None:
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judged_reps, match, run_judge, score_session
    session = generate_session(seed)
    print(f"seed {seed}: {session.description}")
    print(f"  tags: {', '.join(sorted(session.tags))}")
    print(f"  config: {session.config}; channels {session.channels}; manual {session.manual}; "
          f"stream gaps {[(round(a, 2), round(b, 2)) for a, b in session.gaps_s]}")
    try:
        pipeline = run_judge(session)
        got = judged_reps(pipeline)
        sets = [(s.index, round(s.t_start_us / 1e6, 2), None if s.t_end_us is None else round(s.t_end_us / 1e6, 2),
                 s.manual) for s in pipeline.sets]
        print(f"  judged sets (index, start s, end s, manual): {sets}")
    except Exception as exc:
        print(f"  the judge raised {type(exc).__name__}: {exc}")
        got = []
    m = match(session.truth, got)
    print("\n  truth                                                           | judged")
    for i, t in enumerate(session.truth):
        flag = " grey" if t.grey else ""
        flag += "" if t.observable else " (in a stream gap)"
        flag += " (under the minimum range: no rep)" if t.wiggle_share is not None else ""
        left = (f"  {t.t_start_s:7.2f}-{t.t_end_s:7.2f}s {str(t.valid):5s} {str(t.reason):14s} "
                f"gap {t.min_gap_mm:5.0f} rom {t.rom_mm:4.0f} peak {t.peak_force_n:6.0f}{flag}")
        if i in m:
            g = got[m[i]]
            right = (f"{g.t_start_s:7.2f}-{g.t_end_s:7.2f}s {str(g.valid):5s} {str(g.reason):14s} "
                     f"gap {_fmt(g.min_gap_mm, '5.0f')} rom {_fmt(g.rom_mm, '4.0f')} peak {_fmt(g.peak_force_n, '6.0f')}")
        else:
            right = "MISSED"
        print(f"{left:66s}| {right}   {', '.join(t.tags)}")
    used = set(m.values())
    for j, g in enumerate(got):
        if j not in used:
            print(f"{'':66s}| {g.t_start_s:7.2f}-{g.t_end_s:7.2f}s {str(g.valid):5s} {str(g.reason):14s} PHANTOM")
    sc = score_session(session, got)
    print(f"\n  {sc.true_reps} true reps, {sum(r.matched for r in sc.reps)} found, {sc.phantoms} phantoms")
    for p in sc.problems:
        print(f"  - {p.what}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0, help="first seed (sessions use seed, seed+1, ...)")
    ap.add_argument("--only", help="keep only sessions that carry this phenomenon tag")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--show", type=int, metavar="SEED", help="dump one session: truth and judged reps")
    ap.add_argument("--tags", action="store_true", help="list the phenomenon tags of 200 sessions")
    args = ap.parse_args()
    if args.show is not None:
        show(args.show)
        return
    seeds = list(range(args.seed, args.seed + args.sessions))
    t0 = time.perf_counter()
    scores = run(seeds, args.workers)
    wall = time.perf_counter() - t0
    if args.tags:
        from collections import Counter
        c = Counter(t for s in scores for t in s.tags)
        c.update(t for s in scores for r in s.reps for t in r.tags if t not in s.tags)
        for tag, n in sorted(c.items()):
            print(f"{tag:28s} {n}")
        return
    gen_cpu = sum(getattr(s, "gen_s", 0.0) for s in scores)
    judge_cpu = sum(s.elapsed_s for s in scores)
    ran = len(scores)
    if args.only:
        scores = [s for s in scores if args.only in s.tags or any(args.only in r.tags for r in s.reps)]
        if not scores:
            sys.exit(f"no session among {len(seeds)} carries {args.only!r} (see --tags)")
    reps = sum(s.true_reps for s in scores)
    models = {m: sum(1 for s in scores if s.model == m) for m in ("body", "sim")}
    kept = f" (those with {args.only!r} among {ran})" if args.only else ""
    print(f"{len(scores)} sessions{kept}: {models['body']} body model, {models['sim']} project simulator; "
          f"{reps} true reps; seeds {args.seed}..{args.seed + args.sessions - 1}; "
          f"{wall:.0f} s wall on {args.workers} workers ({gen_cpu + judge_cpu:.0f} s CPU: "
          f"{gen_cpu:.0f} generating, {judge_cpu:.0f} judging)\n")
    print_table(scores, args.only)
    print_worst(scores)


if __name__ == "__main__":
    main()
