"""Team sync (issue 15): eight stations, each with an hour of 80 Hz training
(six 10-minute sessions: two force channels and distance at 80 Hz, one chunk
row a second as the station's writer flushes), uploading at once to one
PostgreSQL server; then the same with a ``kill -9`` of the postmaster in the
middle, a restart and a rerun, after which every session must be on the
server once and whole.

Figures: upload time, throughput (samples/s and MB/s of sample blobs), the
server's size per hour of training (pg_total_relation_size of the team
tables). The baseline in the same run: one station alone, on the same server.

Each station is its own process calling ``team.sync`` (as ``backstation sync``
does; started together behind a barrier), with its own SQLite file and login
role. The server is the tests' throwaway one (tests/pg.py) started with
PostgreSQL's durable defaults (fsync and synchronous commit on). Run:

    .venv/bin/python benchmarks/bench_sync.py [--stations 8] [--minutes 60]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

from backstation.storage import Database  # noqa: E402
from backstation.storage.blobs import RAW_DTYPE, from_blob  # noqa: E402
from backstation.storage.schema import new_uid  # noqa: E402
from backstation.team import TeamError, admin, schema, sync  # noqa: E402
from tests.pg import ADMIN_ROLE, TestServer, start_server  # noqa: E402
from tests.team import record_session, write_service_file  # noqa: E402

RATE_HZ = 80
SESSION_MINUTES = 10
KILL_AT_FRACTION = 0.4         # of the sessions committed, when the postmaster is killed
WAIT_S = 60.0


@dataclass
class Run:
    label: str
    stations: int
    wall_s: float
    sessions: int
    force_samples: int
    distance_samples: int
    blob_bytes: int
    server_bytes: int
    hours: float

    def row(self) -> str:
        samples = self.force_samples + self.distance_samples
        return (f"{self.label:28} {self.stations:>3} {self.sessions:>5} {self.wall_s:>8.2f} "
                f"{samples / self.wall_s / 1e3:>10.0f} {self.blob_bytes / self.wall_s / 1e6:>7.1f} "
                f"{self.server_bytes / self.hours / 1e6:>10.1f}")


HEADER = (f"{'run':28} {'st.':>3} {'sess.':>5} {'wall s':>8} {'k samp./s':>10} {'MB/s':>7} "
          f"{'MB/hour':>10}")


# -- the stations' files -----------------------------------------------------


def make_template(folder: Path, minutes: int) -> Path:
    """One station's hour: ``minutes`` of 10-minute sessions of athlete Anna."""
    path = folder / "template.db"
    with Database(path) as db:
        for _ in range(max(1, minutes // SESSION_MINUTES)):
            record_session(db, "Anna", seconds=SESSION_MINUTES * 60.0, rate_hz=RATE_HZ)
    return path


def station_copy(template: Path, path: Path, athlete: str) -> None:
    """The template as another station's file: its own session and athlete
    uids (the team would otherwise see the same sessions twice) and athlete."""
    shutil.copy(template, path)
    with Database(path) as db:
        conn = db._conn
        conn.execute("BEGIN")
        for (sid,) in conn.execute("SELECT id FROM sessions").fetchall():
            conn.execute("UPDATE sessions SET uid = ? WHERE id = ?", (new_uid(), sid))
        conn.execute("UPDATE athletes SET uid = ?, name = ?", (new_uid(), athlete))
        conn.execute("COMMIT")


def forget_uploads(paths: dict[str, Path]) -> None:
    for path in paths.values():
        with Database(path) as db:
            db._conn.execute("DELETE FROM uploads")


# -- the server ----------------------------------------------------------------


def team_database(server: TestServer, dbname: str, stations: int, service_file: Path) -> None:
    """A migrated team database with stations s1..sN (logins station_sK) and
    a service per station, plus ``owner``, in ``service_file``."""
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {dbname}")
    services = {"owner": server.conninfo(dbname, ADMIN_ROLE)}
    with psycopg.connect(services["owner"], autocommit=True) as conn:
        schema.migrate(conn)
        for k in range(1, stations + 1):
            admin.add_station(conn, f"s{k}", f"station_s{k}")
            services[f"s{k}"] = server.conninfo(dbname, f"station_s{k}")
    write_service_file(service_file, services)
    os.environ["PGSERVICEFILE"] = str(service_file)


def server_bytes(server: TestServer, dbname: str) -> int:
    with psycopg.connect(server.conninfo(dbname), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        return sum(conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()[0]
                   for t in schema.TEAM_TABLES)


def committed_sessions(server: TestServer, dbname: str) -> int:
    with psycopg.connect(server.conninfo(dbname), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM sessions").fetchone()[0]


def kill_postmaster(server: TestServer) -> float:
    """``kill -9`` of the postmaster, then wait for its orphaned backends to
    notice and exit (a new postmaster refuses shared memory still attached)
    and for the postmaster to be reaped (while its pid exists, even as a
    zombie, a new one takes postmaster.pid for a running server; this
    machine's pid 1 reaps it about 2 s later)."""
    pid = server.postmaster_pid()
    children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(int(p)) == pid]
    os.kill(pid, signal.SIGKILL)
    killed_at = time.perf_counter()
    deadline = time.monotonic() + WAIT_S
    for child in children:
        while not _gone(child):
            assert time.monotonic() < deadline, f"backend {child} outlived its postmaster"
            time.sleep(0.02)
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"the killed postmaster {pid} was never reaped"
        time.sleep(0.02)
    return killed_at


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _gone(pid: int) -> bool:
    """Exited (a zombie holds no shared memory any more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


# -- the uploads -----------------------------------------------------------------


def _station(path: str, service: str, barrier, results) -> None:
    barrier.wait()
    t0 = time.perf_counter()
    try:
        with Database(path) as db:
            report = sync(db, service)
        results.put((service, "done", (len(report.uploaded), len(report.already)),
                     time.perf_counter() - t0))
    except TeamError as exc:
        results.put((service, f"failed: {exc}", (0, 0), time.perf_counter() - t0))


def upload_all(paths: dict[str, Path], during=None) -> tuple[float, dict[str, tuple]]:
    """Every station's sync at once, each in its own process; ``during()``
    runs in this process meanwhile. Returns the wall time and each outcome."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(paths) + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_station, args=(str(p), s, barrier, results))
             for s, p in paths.items()]
    for proc in procs:
        proc.start()
    barrier.wait()
    t0 = time.perf_counter()
    if during is not None:
        during()
    outcomes = {}
    for _ in procs:
        service, outcome, n, seconds = results.get(timeout=600)
        outcomes[service] = (outcome, n, seconds)
    wall = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    return wall, outcomes


def local_figures(paths: dict[str, Path]) -> dict[str, tuple[int, int, int, int]]:
    """Each session's (force samples, distance samples, raw count sum, blob bytes), by uid."""
    figures = {}
    for path in paths.values():
        with Database(path, read_only=True) as db:
            for info in db.list_sessions():
                raw = db.load_force(info.id).raw.astype(np.int64).sum()
                blobs = db._conn.execute(
                    "SELECT (SELECT coalesce(sum(length(seq) + length(t_device_us) + length(raw)"
                    " + length(t_host_s)), 0) FROM force_chunks WHERE session_id = ?1)"
                    " + (SELECT coalesce(sum(length(seq) + length(t_device_us) + length(gap_mm)"
                    " + length(t_host_s)), 0) FROM distance_chunks WHERE session_id = ?1)",
                    (info.id,)).fetchone()[0]
                figures[info.uid] = (info.force_samples, info.distance_samples, int(raw),
                                     int(blobs))
    return figures


def server_figures(server: TestServer, dbname: str) -> dict[str, tuple[int, int, int, int]]:
    """The same figures as the server has them; a session there twice would
    show as a count above 1 (the primary key forbids it, this checks it)."""
    figures = {}
    with psycopg.connect(server.conninfo(dbname), autocommit=True) as conn:
        counts = dict(conn.execute("SELECT uid::text, count(*) FROM sessions GROUP BY uid"))
        assert all(c == 1 for c in counts.values()), "a session is on the server twice"
        for uid in counts:
            force, raw_sum = 0, 0
            for n, channels, blob in conn.execute(
                    "SELECT n, channels, raw FROM force_chunks WHERE session_uid = %s", (uid,)):
                force += n
                raw_sum += int(from_blob(blob, RAW_DTYPE, n * channels, "raw")
                               .astype(np.int64).sum())
            distance = conn.execute("SELECT coalesce(sum(n), 0) FROM distance_chunks"
                                    " WHERE session_uid = %s", (uid,)).fetchone()[0]
            blobs = conn.execute(
                "SELECT (SELECT coalesce(sum(length(seq) + length(t_device_us) + length(raw)"
                " + length(t_host_s)), 0) FROM force_chunks WHERE session_uid = %(u)s)"
                " + (SELECT coalesce(sum(length(seq) + length(t_device_us) + length(gap_mm)"
                " + length(t_host_s)), 0) FROM distance_chunks WHERE session_uid = %(u)s)",
                {"u": uid}).fetchone()[0]
            figures[uid] = (force, int(distance), raw_sum, int(blobs))
    return figures


def measured(label: str, server: TestServer, dbname: str, paths: dict[str, Path],
             wall: float, minutes: int) -> Run:
    local = local_figures(paths)
    on_server = server_figures(server, dbname)
    assert on_server == local, f"{label}: the server's sessions are not the stations'"
    return Run(label, len(paths), wall, len(local), sum(f[0] for f in local.values()),
               sum(f[1] for f in local.values()), sum(f[3] for f in local.values()),
               server_bytes(server, dbname), len(paths) * minutes / 60)


def main(argv: list[str] | None = None) -> list[Run]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=8)
    parser.add_argument("--minutes", type=int, default=60, help="of training per station")
    parser.add_argument("--repeats", type=int, default=3,
                        help="of the alone and together runs, alternated")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    server = start_server(durable=True)
    runs = []
    try:
        t = time.perf_counter()
        template = make_template(folder, args.minutes)
        names = [f"s{k}" for k in range(1, args.stations + 1)]
        sets = {}
        for run in ("alone", "together", "killed"):
            sets[run] = {}
            for name in (names[:1] if run == "alone" else names):
                path = folder / f"{run}-{name}.db"
                station_copy(template, path, f"Athlete {name}")
                sets[run][name] = path
        print(f"{args.stations} stations x {args.minutes} min of {RATE_HZ} Hz sessions "
              f"written in {time.perf_counter() - t:.1f} s; PostgreSQL "
              f"{server.bin_dir.parent.name}, durable settings, Unix socket", flush=True)

        for r in range(1, args.repeats + 1):
            # Alternated, each into a new team database; the stations forget
            # their earlier uploads (the service names are the same).
            for run, label, n in (("alone", "one station alone", 1),
                                  ("together", f"{args.stations} stations at once",
                                   args.stations)):
                forget_uploads(sets[run])
                dbname = f"{run}_{r}"
                team_database(server, dbname, n, folder / f"{dbname}.conf")
                wall, outcomes = upload_all(sets[run])
                assert all(o[0] == "done" for o in outcomes.values()), outcomes
                runs.append(measured(f"{label} ({r})", server, dbname, sets[run], wall,
                                     args.minutes))

        team_database(server, "killed", args.stations, folder / "killed.conf")
        total = args.stations * max(1, args.minutes // SESSION_MINUTES)
        killed_at = []

        def kill_in_the_middle() -> None:
            deadline = time.monotonic() + WAIT_S
            while committed_sessions(server, "killed") < KILL_AT_FRACTION * total:
                assert time.monotonic() < deadline, "the uploads never got half-way"
                time.sleep(0.02)
            killed_at.append(kill_postmaster(server))

        t_first = time.perf_counter()
        _, outcomes = upload_all(sets["killed"], during=kill_in_the_middle)
        failed = sorted(s for s, o in outcomes.items() if o[0] != "done")
        t_start = time.perf_counter()
        server.start()
        restarted = time.perf_counter()
        committed = committed_sessions(server, "killed")
        wall, rerun = upload_all(sets["killed"])
        assert all(o[0] == "done" for o in rerun.values()), rerun
        measured("rerun after kill -9", server, "killed", sets["killed"], wall, args.minutes)
        print(HEADER)
        for run in runs:
            print(run.row())
        print(f"kill -9 of the postmaster {killed_at[0] - t_first:.2f} s into the upload, "
              f"{committed} of {total} sessions committed; {len(failed)} of {args.stations} "
              f"stations' syncs failed (exit 6)")
        for service in failed[:2]:
            print(f"  {service}: {outcomes[service][0]}")
        log = (server.folder / "server.log").read_text(errors="replace").splitlines()
        for what in ("redo done at", "checkpoint complete"):     # the end-of-recovery one
            said = [line.split("LOG:", 1)[-1].strip() for line in log if what in line]
            print(f"server log: {said[-1] if said else '-'}")
        print(f"restart with crash recovery {restarted - t_start:.2f} s; the rerun uploaded "
              f"{sum(o[1][0] for o in rerun.values())} sessions in {wall:.2f} s and found "
              f"{sum(o[1][1] for o in rerun.values())} already there (committed before the "
              f"kill, not yet noted by their station); every one of the {total} on the "
              "server once, with its samples' counts and raw sums equal to the station's")
        return runs
    finally:
        server.stop("fast")
        shutil.rmtree(server.folder, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
