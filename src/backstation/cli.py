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
from .verdicts import count_verdicts

EXIT_LINK_ERROR = 2
# An output the user named that cannot be written (export's --out), like an
# impossible option: argparse's usage errors exit 2 too.
EXIT_OUTPUT_ERROR = 2
EXIT_STORAGE_ERROR = 3


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


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """"(default: X)" after an option's help where X says something (not for
    flags, and not where the help says its default already)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return super()._get_help_string(action)


def _session_id(value: int) -> int:
    if value < 1:
        raise ValueError(f"a session id is 1 or more, not {value}")
    return value


def _session_ref(text: str) -> int | str:
    """A local session's id (a number), or a team session's ``STATION/ID``
    or uid, kept as text for the team server to resolve (team/read.py)."""
    if "/" in text or text.count("-") == 4:
        return text
    return _checked(int, _session_id)(text)


def _command(sub, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=summary, description=description,
                          formatter_class=_HelpFormatter)


DB_HELP = ("the session database (default: the user-data folder's backstation.db, "
           "e.g. ~/.local/share/backstation/backstation.db)")


def build_parser() -> argparse.ArgumentParser:
    from .device.sim.pty_runner import add_sim_arguments
    from .exercises import DEFAULT_EXERCISE, JUDGED_EXERCISES
    from .device.sim.scenarios import DEFAULT_SCENARIO, all_scenarios
    from .link import DEFAULT_BAUDRATE
    from .record import baud_rate, duration_s
    from .storage.records import athlete_name, body_mass_kg, contact_mm

    parser = argparse.ArgumentParser(
        prog="backstation", formatter_class=_HelpFormatter,
        description="Back Station: live force, rep judgement, sessions. Without a COMMAND, "
                    "the desktop app.",
        epilog="Exit codes: 0 done; 2 the station, an impossible option or an output that "
               "cannot be written; 3 the database; 4 the app's display went away; 5 the "
               "app's ending passed its bound; 6 the team server (sync, --server).")
    parser.add_argument("--version", action="version", version=f"backstation {__version__}")
    parser.add_argument("--simulate", action="store_true",
                        help="use the built-in simulated station (no hardware needed)")
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, choices=all_scenarios(),
                        metavar="NAME",
                        help="the simulated station's scenario, with --simulate "
                             "(`backstation sim --list` names them)")
    parser.add_argument("--port", help="the station's serial port (default: the first found)")
    parser.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    monitor = _command(
        sub, "monitor", "record with a live text readout (no window)",
        "Record the station with a live text readout for a terminal (a Raspberry Pi over "
        "ssh): force, gap and stream health redrawn in place, a line per set and rep. "
        "Ctrl-C ends it and saves the session.")
    monitor.add_argument("--port", help="the station's serial port (default: the first found)")
    monitor.add_argument("--simulate", action="store_true",
                         help="use the simulated station; its sessions go to simulated.db "
                              "beside the real database unless --db says")
    monitor.add_argument("--scenario", default=DEFAULT_SCENARIO, choices=all_scenarios(),
                         metavar="NAME", help="the simulated station's scenario")
    monitor.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)

    sim = _command(
        sub, "sim", "a simulated station on a virtual serial port (pty)",
        "Run a simulated station on a virtual serial port (a pty) and print its path, for "
        "`record --port PATH` or the app. Ctrl-C ends it.")
    add_sim_arguments(sim)

    record = _command(
        sub, "record", "record a station headless",
        "Record a station into the database without a window: until --duration has "
        "passed, or Ctrl-C, SIGTERM or SIGHUP, which all save the session. Progress on "
        "stderr when it is a terminal; the session's summary (or JSON) on stdout at the "
        "end. Reconnects to the same station when its port comes back.")
    record.add_argument("--port", required=True, help="serial port, pty path or sim:// URL")
    record.add_argument("--baud", type=_checked(int, baud_rate), default=DEFAULT_BAUDRATE,
                        metavar="N", help="the serial baud rate (300 to 4000000)")
    record.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)
    record.add_argument("--athlete", type=_checked(str, athlete_name), metavar="NAME",
                        help="the athlete, matched to the roster whatever the case; a new "
                             "name is added, unless it looks like a typo of one there")
    record.add_argument("--body-mass", type=_checked(float, body_mass_kg), metavar="KG",
                        help="for force as %% of body mass, 20 to 300 (stored with the athlete)")
    record.add_argument("--contact-mm", type=_checked(float, contact_mm), metavar="MM",
                        help="contact threshold, 1 to 500 (default: the athlete's calibrated "
                             "one, or 25)")
    record.add_argument("--exercise", default=DEFAULT_EXERCISE, choices=JUDGED_EXERCISES,
                        help="the exercise judged")
    record.add_argument("--duration", type=_checked(float, duration_s), metavar="SECONDS",
                        help="stop after this long (default: until Ctrl-C)")
    record.add_argument("--json", action="store_true",
                        help="print the session as JSON (docs/design.md §6) instead of a "
                             "summary line")

    sessions = _command(sub, "sessions", "list stored sessions",
                        "List the stored sessions, oldest first. Only reads: never creates "
                        "or changes the database. With --server, the team's sessions from "
                        "every station, named STATION/ID for export and replay.")
    sessions.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)
    sessions.add_argument("--json", action="store_true", help="print them as a JSON list")
    _add_team_server(sessions)
    sessions.add_argument("--athlete", metavar="NAME",
                          help="with --server: only this athlete's sessions")
    sessions.add_argument("--station", metavar="NAME",
                          help="with --server: only this station's sessions")

    export = _command(
        sub, "export", "write a session's samples.csv, reps.csv and sets.csv",
        "Write a stored session's samples.csv (every force sample in newtons, the gap, "
        "contact, raw counts), reps.csv (every rep's verdict and metrics) and sets.csv (one "
        "row a set, the sets logged by hand too), each with the athlete, date, session and exercise, into DIR, "
        "creating it. An earlier export there is kept unless --force; nothing is created "
        "when the session does not exist.")
    export.add_argument("session_id", type=_session_ref, metavar="SESSION_ID",
                        help="the session's id, as `backstation sessions` lists it; with "
                             "--server, STATION/ID or the session's uid")
    export.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="the folder to write into")
    export.add_argument("--force", action="store_true",
                        help="replace an export already in DIR")
    export.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)
    _add_team_server(export)

    replay = _command(sub, "replay", "judge a stored session again",
                      "Judge a stored session again from its raw samples and print what "
                      "`record` printed (the same verdicts, unless the judgement changed).")
    replay.add_argument("session_id", type=_session_ref, metavar="SESSION_ID",
                        help="the session's id, as `backstation sessions` lists it; with "
                             "--server, STATION/ID or the session's uid")
    replay.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)
    replay.add_argument("--json", action="store_true", help="print it as record --json did")
    _add_team_server(replay)
    _add_sync(sub)
    _add_athletes(sub, athlete_name, body_mass_kg, contact_mm)

    install = _command(
        sub, "install-desktop", "add Back Station to this user's desktop menu",
        "Copy the launcher (starting this installation), the icons and the AppStream "
        "metainfo into your data folder, where the desktop's menu and software centre find "
        "them. Needs no root. The station's udev rule (serial port access for its users and "
        "a /dev/backstation-N link) is root's to install: this prints the one command.")
    install.add_argument("--data-home", type=Path, metavar="DIR",
                         help="the data folder (default: $XDG_DATA_HOME, else ~/.local/share)")
    return parser


def _add_athletes(sub, athlete_name, body_mass_kg, contact_mm) -> None:
    from .storage.records import squeeze_mm, straight_arm_mm

    athletes = _command(
        sub, "athletes", "list, add or change the roster's athletes",
        "The station's roster: each athlete's name, body mass, contact threshold, "
        "straight-arm gap and notes. Without an action, list them (only reads). Sessions "
        "keep the body mass and contact threshold they were recorded with.")
    athletes.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP)
    athletes.add_argument("--json", action="store_true", help="list them as JSON")
    actions = athletes.add_subparsers(dest="action", metavar="ACTION")

    def fields(parser) -> None:
        parser.add_argument("--body-mass", type=_checked(float, body_mass_kg), metavar="KG",
                            help="body mass, 20 to 300")
        parser.add_argument("--contact-mm", type=_checked(float, contact_mm), metavar="MM",
                            help="contact threshold, 1 to 500 (the app's contact "
                                 "calibration measures it)")
        parser.add_argument("--straight-arm-mm", type=_checked(float, straight_arm_mm),
                            metavar="MM", help="chest to bar hanging with straight arms")
        parser.add_argument("--squeeze-mm", type=_checked(float, squeeze_mm), metavar="MM",
                            help="how far their mid-back shrug raises the chest, 10 to 120 "
                                 "(the shrug's judge; History's range of a good shrug)")
        parser.add_argument("--notes", metavar="TEXT", help="the coach's notes (\"\" clears)")
        # SUPPRESS: given before the action (`athletes --db X add`), it is kept.
        parser.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP,
                            default=argparse.SUPPRESS)

    add = actions.add_parser("add", help="add an athlete",
                             description="Add an athlete to the roster.")
    add.add_argument("name", type=_checked(str, athlete_name), metavar="NAME")
    fields(add)
    change = actions.add_parser("set", help="change an athlete",
                                description="Change what the roster keeps on an athlete.")
    change.add_argument("name", type=_checked(str, athlete_name), metavar="NAME")
    change.add_argument("--name", dest="new_name", type=_checked(str, athlete_name),
                        metavar="NEW", help="rename (sessions follow)")
    change.add_argument("--squeeze-from-shrugs", action="store_true",
                        help="the squeeze depth measured: the median of their good "
                             "mid-back shrugs recorded")
    fields(change)
    assign = actions.add_parser(
        "assign", help="file a session under an athlete",
        description="File a stored session under an athlete on the roster (`-`: no "
                    "athlete). The session keeps the body mass it was judged with.")
    assign.add_argument("session_id", type=_checked(int, _session_id), metavar="SESSION_ID")
    assign.add_argument("name", metavar="NAME")
    assign.add_argument("--db", type=Path, metavar="PATH", help=DB_HELP,
                        default=argparse.SUPPRESS)


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
    if args.command == "athletes":
        return _athletes(args)
    if args.command == "install-desktop":
        return _install_desktop(args)
    from .ui.app import run
    return run(args)


def _open_db(path: Path | None, *, read_only: bool = False, create: bool = True):
    """The database at ``path`` (default: the user-data folder's). Commands that
    only read open it read-only: they never create or change a file; with
    ``create=False`` (``sync``) a missing file is refused, not made empty."""
    from .storage import Database, default_db_path
    return Database(path or default_db_path(create_folder=not read_only and create),
                    read_only=read_only, create=create)


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


@contextmanager
def _making_room(make_room):
    """A ``_say`` for while a line is drawn in place (``monitor``'s block,
    ``record``'s progress): it, and any warning logged meanwhile, first call
    ``make_room`` so the line gives way instead of being written into."""
    def give_way(_record) -> bool:
        make_room()
        return True

    def say(message: str) -> None:
        make_room()
        _say(message)

    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(give_way)
    try:
        yield say
    finally:
        for handler in handlers:
            handler.removeFilter(give_way)


def _run_recorder(options, db_path: Path | None, on_tick=None, say=_say):
    """Record; returns (exit code, result or None). Every failure is one line on stderr."""
    from .link import LinkError
    from .record import Recorder
    from .storage import StorageError

    try:
        with _open_db(db_path) as db, _stop_on_signals() as stop:
            if not _new_athlete_checked(db, options.session.athlete, say):
                return EXIT_OUTPUT_ERROR, None
            recorder = Recorder(db, options, on_step=on_tick, on_message=say)
            return 0, recorder.run(stop)
    except LinkError as exc:
        say(str(exc))
        return EXIT_LINK_ERROR, None
    except StorageError as exc:
        say(str(exc))
        return EXIT_STORAGE_ERROR, None


def _record(args) -> int:
    from .monitor import RecordProgress
    from .record import RecordOptions
    from .session import SessionOptions

    options = RecordOptions(port=args.port, baud=args.baud, duration_s=args.duration,
                            session=SessionOptions(
                                athlete=args.athlete, body_mass_kg=args.body_mass,
                                contact_mm=args.contact_mm, exercise=args.exercise))
    progress = RecordProgress(sys.stderr)
    try:
        with _making_room(progress.make_room) as say:
            code, result = _run_recorder(options, args.db, on_tick=progress.update, say=say)
    finally:
        progress.make_room()
    if result is not None:
        if args.json:
            print(strictjson.dumps(result))
        else:
            print(_summary_line(result))
    return code


def _new_athlete_checked(db, name: str | None, say=_say) -> bool:
    """``record --athlete``: a name on the roster, or a new one added with a
    line saying so; False (said why) for a new name that looks like a typo of
    one there, which is not recorded under."""
    if name is None or db.get_athlete(name) is not None:
        return True
    refusal = db.athlete_refusal(name)
    if refusal is not None:
        say(f"{refusal} (a new athlete: `backstation athletes add {name!r}` first)")
        return False
    say(f"{name} is new: added to the roster")
    return True


def _athletes(args) -> int:
    from .storage import StorageError
    from .storage.database import KEEP

    try:
        if args.action is None:
            with _open_db(args.db, read_only=True) as db:
                roster = db.list_athletes()
            _print_roster(roster, args.json)
            return 0
        with _open_db(args.db) as db:
            if args.action == "assign":
                name = None if args.name.strip() == "-" else args.name
                info = db.reassign_session(args.session_id, name)
                print(f"session {info.id}: {terminal_safe(info.athlete_name or 'no athlete')}")
                return 0
            given = {"body_mass_kg": args.body_mass, "contact_mm": args.contact_mm,
                     "straight_arm_mm": args.straight_arm_mm, "squeeze_mm": args.squeeze_mm,
                     "notes": args.notes}
            if args.action == "add":
                athlete = db.add_athlete(args.name, **given)
            else:
                if args.squeeze_from_shrugs:
                    given["squeeze_mm"] = _measured_squeeze(db, args.name)
                athlete = db.update_athlete(
                    args.name, new_name=args.new_name,
                    **{k: KEEP if v is None else v for k, v in given.items()})
        _print_roster([athlete], False)
        return 0
    except ValueError as exc:
        _say(str(exc))
        return EXIT_OUTPUT_ERROR
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR


def _measured_squeeze(db, name: str) -> float:
    """``athletes set --squeeze-from-shrugs``: ValueError (said in one line) without enough."""
    from .progress import MIN_SHRUGS_MEASURED, measured_squeeze
    measured = measured_squeeze(db, name)
    if measured is None:
        raise ValueError(f"fewer than {MIN_SHRUGS_MEASURED} good mid-back shrugs recorded "
                         f"for {name!r}: nothing to measure")
    _say(f"{name}: squeeze {round(measured[0])} mm, from {measured[1]} good shrugs")
    return round(measured[0])


def _print_roster(roster, as_json: bool) -> None:
    if as_json:
        print(strictjson.dumps([{
            "name": a.name, "body_mass_kg": a.body_mass_kg, "contact_mm": a.contact_mm,
            "contact_calibrated_at": a.contact_calibrated_at,
            "straight_arm_mm": a.straight_arm_mm, "squeeze_mm": a.squeeze_mm,
            "notes": a.notes} for a in roster]))
        return
    if not roster:
        print("no athletes yet (`backstation athletes add NAME` adds one)")
        return

    def number(value: float | None, unit: str) -> str:
        return "-" if value is None else f"{value:g} {unit}"

    print(f"{'athlete':16}  {'body mass':>9}  {'contact':>7}  {'straight arm':>12}  "
          f"{'squeeze':>7}  notes")
    for a in roster:
        print(f"{terminal_safe(a.name)[:16]:16}  {number(a.body_mass_kg, 'kg'):>9}  "
              f"{number(a.contact_mm, 'mm'):>7}  {number(a.straight_arm_mm, 'mm'):>12}  "
              f"{number(a.squeeze_mm, 'mm'):>7}  {terminal_safe(a.notes or '')}")


def _summary_line(result: dict) -> str:
    s = result["stream"]
    valid, no = count_verdicts(r["valid"] for st in result["sets"] for r in st["reps"])
    made = len(result.get("corrections", ()))
    sets = len(result["sets"])
    return (f"session {result['session_id']}: {sets} set{'s' if sets != 1 else ''}, "
            f"{valid} valid reps, "
            f"{no} no-reps"
            + (f" ({made} correction{'s' if made != 1 else ''} by the coach)" if made else "")
            + f"; {s['force_samples']} force and "
            f"{s['distance_samples']} distance samples, {s['lost_samples']} lost, "
            f"{s['crc_errors']} CRC errors, {s['malformed']} malformed, "
            f"{s['reconnects']} reconnects, {s.get('stalls', 0)} stalls")


def _sessions(args) -> int:
    from .storage import StorageError

    if args.server is not None:
        return _team_sessions(args)
    if args.athlete is not None or args.station is not None:
        _say("--athlete and --station filter the team's sessions: add --server NAME")
        return EXIT_OUTPUT_ERROR
    try:
        with _open_db(args.db, read_only=True) as db:
            sessions = db.list_sessions()
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    if args.json:
        print(strictjson.dumps([_session_json(s) for s in sessions]))
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


def _session_json(s) -> dict:
    return {
        "session_id": s.id, "started_at": s.started_at, "ended_at": s.ended_at,
        "end_reason": s.end_reason,
        "athlete": s.athlete_name, "exercise": s.exercise, "device_id": s.device_id,
        "duration_s": round(s.duration_s, 3), "force_samples": s.force_samples,
        "distance_samples": s.distance_samples, "lost_samples": s.lost_samples,
    }


def _team_sessions(args) -> int:
    from .team import TeamError
    from .team.connection import EXIT_TEAM_ERROR, reading
    from .team.read import list_sessions

    try:
        with reading(args.server) as conn:
            sessions = list_sessions(conn, athlete=args.athlete, station=args.station)
    except TeamError as exc:
        _say(str(exc))
        return EXIT_TEAM_ERROR
    if args.json:
        print(strictjson.dumps([{**_session_json(s.info), "station": s.station, "uid": s.uid}
                                for s in sessions]))
        return 0
    if not sessions:
        print("no sessions on the team server" + (" for these filters" if args.athlete
                                                   or args.station else " yet"))
        return 0
    print(f"{'station':8}  {'id':>4}  {'started (UTC)':16}  {'athlete':12}  {'duration':>8}  "
          f"{'force':>7}  {'gap':>6}  {'lost':>5}")
    for t in sessions:
        s = t.info
        station = terminal_safe(t.station)[:8]
        athlete = terminal_safe(s.athlete_name or "-")[:12]
        print(f"{station:8}  {s.id:>4}  {s.started_at[:16]:16}  {athlete:12}  "
              f"{s.duration_s:>7.1f}s  {s.force_samples:>7}  {s.distance_samples:>6}  "
              f"{s.lost_samples:>5}")
    return 0


@contextmanager
def _session_source(args):
    """What export and replay read: the station's database, or with
    ``--server`` the team session named (``STATION/ID`` or uid), read whole."""
    if args.server is None:
        with _open_db(args.db, read_only=True) as db:
            yield db, args.session_id
        return
    from .storage.bundle_reader import BundleReader
    from .team.connection import reading
    from .team.read import find_session, load_session

    with reading(args.server) as conn:
        bundle = load_session(conn, find_session(conn, str(args.session_id)))
    reader = BundleReader(bundle)
    yield reader, reader.session_id


def _export(args) -> int:
    from .export import OutputError, WouldOverwrite, export_session
    from .storage import StorageError
    from .team import TeamError
    from .team.connection import EXIT_TEAM_ERROR

    if not _session_ref_fits(args):
        return EXIT_OUTPUT_ERROR
    try:
        with _session_source(args) as (db, session_id):
            paths = export_session(db, session_id, args.out, overwrite=args.force)
    except TeamError as exc:
        _say(str(exc))
        return EXIT_TEAM_ERROR
    except WouldOverwrite as exc:
        _say(f"{exc}: add --force to replace them, or choose another --out")
        return EXIT_OUTPUT_ERROR
    except OutputError as exc:
        _say(str(exc))
        return EXIT_OUTPUT_ERROR
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    for path in paths:
        print(path)
    return 0


def _replay(args) -> int:
    from .replay import Replay
    from .storage import StorageError
    from .team import TeamError
    from .team.connection import EXIT_TEAM_ERROR

    if not _session_ref_fits(args):
        return EXIT_OUTPUT_ERROR
    try:
        with _session_source(args) as (db, session_id):
            replay = Replay(db, session_id)
            result = replay.to_json()
        for line in replay.ignored_calibrations:
            _say(line)
    except TeamError as exc:
        _say(str(exc))
        return EXIT_TEAM_ERROR
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    print(strictjson.dumps(result) if args.json else _summary_line(result))
    return 0


def _install_desktop(args) -> int:
    from .desktop import data_home, install_desktop, launcher_command, udev_install_command

    target = args.data_home or data_home()
    try:
        written = install_desktop(target, launcher_command())
    except OSError as exc:
        where = exc.filename or target
        _say(f"cannot write {where}: {exc.strerror or exc}")
        return EXIT_OUTPUT_ERROR
    for path in written:
        print(path)
    print("For the station's USB port (access for group dialout and the desktop's user, and "
          "/dev/backstation-N), run once as root:")
    print(f"  {udev_install_command()}")
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
            from .storage import StorageError
            from .storage.paths import simulated_db_path
            try:
                db_path = simulated_db_path()
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
    with _making_room(readout.make_room) as say:
        code, result = _run_recorder(RecordOptions(port=port), db_path,
                                     on_tick=readout.update, say=say)
    readout.finish()
    if result is not None:
        print(f"saved: {_summary_line(result)}")
    return code


def _session_ref_fits(args) -> bool:
    """A team session's name needs --server, and a team session a name (a
    station's own ids repeat across stations); else one line, False."""
    if args.server is None and isinstance(args.session_id, str):
        _say(f"{args.session_id} names a team session: add --server NAME")
        return False
    if args.server is not None and isinstance(args.session_id, int):
        _say(f"a team session is STATION/ID (e.g. rack1/{args.session_id}) or its uid, as "
             "`backstation sessions --server NAME` lists it")
        return False
    return True


def _add_team_server(command: argparse.ArgumentParser) -> None:
    command.add_argument("--server", metavar="NAME",
                         help="read the team server's sessions instead of this station's: "
                              "NAME is a service in the libpq service file (docs/team.md)")


def _add_sync(sub) -> None:
    from .team import DEFAULT_SERVER

    sync = sub.add_parser(
        "sync", help="upload finished sessions to the team server",
        description="Upload every finished session the team server does not have yet, each "
                    "whole or not at all: running it again uploads nothing twice and finishes "
                    "an interrupted upload. NAME is a service in the libpq service file "
                    "(~/.pg_service.conf, or the file PGSERVICEFILE names), the password in "
                    "~/.pgpass: never on the command line (docs/team.md). A session the server "
                    "refuses for its data is named in one line and skipped, the others "
                    "uploaded. Exit codes: 0 done; 3 the database; 6 the team server (down, "
                    "refused, cut off, or a session refused): nothing local is lost, run it "
                    "again.")
    sync.add_argument("--server", default=DEFAULT_SERVER, metavar="NAME",
                      help="the team server's service name (default: %(default)s)")
    sync.add_argument("--db", type=Path, metavar="PATH",
                      help="the session database (default: the user-data folder's)")


def _sync(args) -> int:
    from .storage import StorageError
    from .team import TeamError, sync
    from .team.connection import EXIT_TEAM_ERROR

    try:
        with _open_db(args.db, create=False) as db:
            report = sync(db, args.server)
    except TeamError as exc:
        _say(str(exc))
        return EXIT_TEAM_ERROR
    except StorageError as exc:
        _say(str(exc))
        return EXIT_STORAGE_ERROR
    for line in report.lines():
        print(terminal_safe(line))
    return EXIT_TEAM_ERROR if report.refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
