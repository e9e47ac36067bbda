"""The ``backstation`` command line (docs/design.md §6).

``backstation`` — the desktop app; ``monitor`` — a live text readout for a
terminal (a Raspberry Pi over ssh); ``sim``, ``record``, ``sessions``,
``export``, ``replay`` as documented in the README. Errors a user
can cause (a missing port, a damaged database) are one clear line on stderr
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from . import __version__, strictjson

EXIT_LINK_ERROR = 2
EXIT_STORAGE_ERROR = 3
# Where ``monitor --simulate`` records unless --db says: beside the real database.
SIMULATED_DB_FILENAME = "simulated.db"


def terminal_safe(text: str) -> str:
    """``text`` with every control or format character (ESC, CR, BEL, BiDi
    overrides...) written as its Python escape, so stored text (an athlete's
    name) or text from a station cannot move the cursor or recolour a terminal."""
    return "".join(repr(c)[1:-1] if unicodedata.category(c)[0] == "C" else c for c in text)


def _line(message: str) -> str:
    """The one form of a line the command line says on stderr."""
    return f"backstation: {terminal_safe(message)}"


def _say(message: str) -> None:
    print(_line(message), file=sys.stderr, flush=True)


class _LineFormatter(logging.Formatter):
    """A warning logged by any module reaches stderr as ``_say`` would say it."""

    def format(self, record: logging.LogRecord) -> str:
        return _line(super().format(record))


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _checked(convert, check):
    """An argparse type: ``convert`` the text, then ``check`` it (the rule's
    owner); either one's ValueError becomes argparse's one-line usage error."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        try:
            return check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = getattr(check, "__name__", "value")
    return parse


def build_parser() -> argparse.ArgumentParser:
    from .device.sim.pty_runner import add_sim_arguments
    from .device.sim.scenarios import DEFAULT_SCENARIO, all_scenarios
    from .link import DEFAULT_BAUDRATE
    from .record import baud_rate
    from .storage.records import athlete_name, body_mass_kg, contact_mm

    parser = argparse.ArgumentParser(
        prog="backstation", description="Back Station: live force, rep judgement, sessions.")
    parser.add_argument("--version", action="version", version=f"backstation {__version__}")
    parser.add_argument("--simulate", action="store_true",
                        help="use the built-in simulated station (no hardware needed)")
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, choices=all_scenarios(),
                        help="the simulated station's scenario (with --simulate)")
    parser.add_argument("--port", help="the station's serial port (default: the first found)")
    parser.add_argument("--db", type=Path, help="the session database (default: user data folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    monitor = sub.add_parser("monitor", help="record with a live text readout (no window)")
    monitor.add_argument("--port", help="the station's serial port (default: the first found)")
    monitor.add_argument("--simulate", action="store_true", help="use the simulated station")
    monitor.add_argument("--scenario", default=DEFAULT_SCENARIO, choices=all_scenarios())
    monitor.add_argument("--db", type=Path)

    sim = sub.add_parser("sim", help="a simulated station on a virtual serial port (pty)")
    add_sim_arguments(sim)

    record = sub.add_parser("record", help="record a station headless")
    record.add_argument("--port", required=True, help="serial port, pty path or sim:// URL")
    record.add_argument("--baud", type=_checked(int, baud_rate), default=DEFAULT_BAUDRATE)
    record.add_argument("--db", type=Path)
    record.add_argument("--athlete", type=_checked(str, athlete_name),
                        help="athlete name (created if new)")
    record.add_argument("--body-mass", type=_checked(float, body_mass_kg), metavar="KG",
                        help="for force as %% of body mass (stored with the athlete)")
    record.add_argument("--contact-mm", type=_checked(float, contact_mm), metavar="MM",
                        help="contact threshold (default: the athlete's calibrated one, or 25)")
    record.add_argument("--exercise", default="inverted-row", choices=["inverted-row"])
    record.add_argument("--duration", type=_positive_float, metavar="SECONDS",
                        help="stop after this long (default: until Ctrl-C)")
    record.add_argument("--json", action="store_true", help="print the session as JSON")

    sessions = sub.add_parser("sessions", help="list stored sessions")
    sessions.add_argument("--db", type=Path)
    sessions.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="write a session's samples.csv and reps.csv")
    export.add_argument("session_id", type=int, metavar="SESSION_ID")
    export.add_argument("--out", type=Path, required=True, metavar="DIR")
    export.add_argument("--db", type=Path)

    replay = sub.add_parser("replay", help="judge a stored session again")
    replay.add_argument("session_id", type=int, metavar="SESSION_ID")
    replay.add_argument("--db", type=Path)
    replay.add_argument("--json", action="store_true", help="print it as record --json did")
    _add_sync(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter("%(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    args = build_parser().parse_args(argv)
    if args.command == "sim":
        from .device.sim.pty_runner import main_sim
        return main_sim(args)
    if args.command == "record":
        return _record(args)
    if args.command == "sessions":
        return _sessions(args)
    if args.command == "export":
        return _export(args)
    if args.command == "replay":
        return _replay(args)
    if args.command == "sync":
        return _sync(args)
    if args.command == "monitor":
        return _monitor(args)
    from .ui.app import run
    return run(args)


def _open_db(path: Path | None, *, read_only: bool = False):
    """The database at ``path`` (default: the user-data folder's). Commands that
    only read open it read-only: they never create or change a file."""
    from .storage import Database, default_db_path
    return Database(path or default_db_path(create_folder=not read_only), read_only=read_only)


@contextmanager
def _stop_on_signals():
    """Ctrl-C, SIGTERM and SIGHUP (the terminal or the ssh session closed) end
    a recording cleanly, STOP sent and the session finished, instead of killing it."""
    stop = threading.Event()
    signals = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):                 # not on Windows
        signals.append(signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_recorder(options, db_path: Path | None, on_tick=None):
    """Record; returns (exit code, result or None). Every failure is one line on stderr."""
    from .link import LinkError
    from .record import Recorder
    from .storage import StorageError

    try:
        with _open_db(db_path) as db, _stop_on_signals() as stop:
            recorder = Recorder(db, options, on_step=on_tick, on_message=_say)
            return 0, recorder.run(stop)
    except LinkError as exc:
        _say(str(exc))
        return EXIT_LINK_ERROR, None
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR, None


def _record(args) -> int:
    from .record import RecordOptions
    from .session import SessionOptions

    options = RecordOptions(port=args.port, baud=args.baud, duration_s=args.duration,
                            session=SessionOptions(
                                athlete=args.athlete, body_mass_kg=args.body_mass,
                                contact_mm=args.contact_mm, exercise=args.exercise))
    code, result = _run_recorder(options, args.db)
    if result is not None:
        if args.json:
            print(strictjson.dumps(result))
        else:
            print(_summary_line(result))
    return code


def _summary_line(result: dict) -> str:
    s = result["stream"]
    reps = [r for st in result["sets"] for r in st["reps"]]
    valid = sum(1 for r in reps if r["valid"])
    return (f"session {result['session_id']}: {len(result['sets'])} sets, {valid} valid reps, "
            f"{len(reps) - valid} no-reps; {s['force_samples']} force and "
            f"{s['distance_samples']} distance samples, {s['lost_samples']} lost, "
            f"{s['crc_errors']} CRC errors, {s['malformed']} malformed, "
            f"{s['reconnects']} reconnects, {s.get('stalls', 0)} stalls")


def _sessions(args) -> int:
    from .storage import StorageError

    try:
        with _open_db(args.db, read_only=True) as db:
            sessions = db.list_sessions()
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    if args.json:
        print(strictjson.dumps([{
            "session_id": s.id, "started_at": s.started_at, "ended_at": s.ended_at,
            "end_reason": s.end_reason,
            "athlete": s.athlete_name, "exercise": s.exercise, "device_id": s.device_id,
            "duration_s": round(s.duration_s, 3), "force_samples": s.force_samples,
            "distance_samples": s.distance_samples, "lost_samples": s.lost_samples,
        } for s in sessions]))
        return 0
    if not sessions:
        print("no sessions yet")
        return 0
    print(f"{'id':>4}  {'started (UTC)':20}  {'athlete':12}  {'duration':>8}  "
          f"{'force':>7}  {'gap':>6}  {'lost':>5}")
    for s in sessions:
        athlete = terminal_safe(s.athlete_name or "-")[:12]
        print(f"{s.id:>4}  {s.started_at[:19]:20}  {athlete:12}  "
              f"{s.duration_s:>7.1f}s  {s.force_samples:>7}  {s.distance_samples:>6}  "
              f"{s.lost_samples:>5}")
    return 0


def _export(args) -> int:
    from .export import export_session
    from .storage import StorageError

    try:
        with _open_db(args.db, read_only=True) as db:
            paths = export_session(db, args.session_id, args.out)
    except (StorageError, OSError) as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    for path in paths:
        print(path)
    return 0


def _replay(args) -> int:
    from .replay import Replay
    from .storage import StorageError

    try:
        with _open_db(args.db, read_only=True) as db:
            replay = Replay(db, args.session_id)
            result = replay.to_json()
        for line in replay.ignored_calibrations:
            _say(line)
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    print(strictjson.dumps(result) if args.json else _summary_line(result))
    return 0


def _monitor(args) -> int:
    """Record with a live text readout, for a terminal. A station plugged in
    (or ``--port``) is recorded into the database; the simulated station only
    with ``--simulate``, and then, unless ``--db`` says otherwise, into a
    database of its own, said on stderr, so practice never mixes with training."""
    from .device.sim.protocol_sim import simulated_url
    from .link import find_ports
    from .monitor import LiveReadout
    from .record import RecordOptions

    port, db_path = args.port, args.db
    if args.simulate and port is None:
        port = simulated_url(args.scenario)
        if db_path is None:
            from .storage import StorageError, default_db_path
            try:
                db_path = default_db_path().with_name(SIMULATED_DB_FILENAME)
            except StorageError as exc:
                _say(str(exc))
                return EXIT_STORAGE_ERROR
        _say(f"simulated station: its sessions go to {db_path}")
    elif port is None:
        stations = [p for p in find_ports() if p.likely_station]
        if not stations:
            _say("no station plugged in: plug it in, name its port with --port, "
                 "or use --simulate for the simulated station")
            return EXIT_LINK_ERROR
        port = stations[0].device
    readout = LiveReadout(sys.stdout)
    code, result = _run_recorder(RecordOptions(port=port), db_path, on_tick=readout.update)
    readout.finish()
    if result is not None:
        print(f"saved: {_summary_line(result)}")
    return code


def _add_sync(sub) -> None:
    from .team import DEFAULT_SERVER

    sync = sub.add_parser(
        "sync", help="upload finished sessions to the team server",
        description="Upload every finished session the team server does not have yet, each "
                    "whole or not at all: running it again uploads nothing twice and finishes "
                    "an interrupted upload. NAME is a service in the libpq service file "
                    "(~/.pg_service.conf, or the file PGSERVICEFILE names), the password in "
                    "~/.pgpass: never on the command line (docs/team.md). Exit codes: 0 done; "
                    "3 the database; 6 the team server (down, refused, cut off): nothing "
                    "local is lost, run it again.")
    sync.add_argument("--server", default=DEFAULT_SERVER, metavar="NAME",
                      help="the team server's service name (default: %(default)s)")
    sync.add_argument("--db", type=Path, metavar="PATH",
                      help="the session database (default: the user-data folder's)")


def _sync(args) -> int:
    from .storage import StorageError
    from .team import TeamError, sync
    from .team.connection import EXIT_TEAM_ERROR

    try:
        with _open_db(args.db) as db:
            report = sync(db, args.server)
    except TeamError as exc:
        _say(str(exc))
        return EXIT_TEAM_ERROR
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    print(report.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
