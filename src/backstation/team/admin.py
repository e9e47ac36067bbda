"""Setting up a team database, for its owner (docs/team.md).

    python -m backstation.team.admin --server OWNER_SERVICE migrate
    python -m backstation.team.admin --server OWNER_SERVICE add-station NAME LOGIN_ROLE
    python -m backstation.team.admin --server OWNER_SERVICE add-coach LOGIN_ROLE
    python -m backstation.team.admin --server COACH_SERVICE set-body-mass NAME KG

The service names the owner's login in the libpq service file, as for
``backstation sync`` (a coach's for ``set-body-mass``, which settles an
athlete conflict that ``sync`` reports). Roles are created without a password: the owner sets
one with psql's ``\\password ROLE`` (it never passes through argv or a log).
"""

from __future__ import annotations

import argparse
import sys

import psycopg
from psycopg import sql

from ..storage import records
from . import schema
from .connection import EXIT_TEAM_ERROR, TeamError, connect, first_line


def _create_login(conn: psycopg.Connection, login_role: str, group: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login_role,)).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login_role)))
    conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group),
                                                   sql.Identifier(login_role)))


def add_station(conn: psycopg.Connection, name: str, login_role: str) -> None:
    """A station called ``name`` that logs in as ``login_role`` (created if
    missing): it may insert sessions as ``name`` and read the team's.
    ``TeamError`` if the name or the login is already a station's."""
    with conn.transaction():
        taken = conn.execute("SELECT name, login_role FROM stations"
                             " WHERE name = %s OR login_role = %s ORDER BY name <> %s",
                             (name, login_role, name)).fetchone()
        if taken is not None:
            raise TeamError(f"station {taken[0]!r} is already registered, with the login "
                            f"{taken[1]!r} (a station has one login, a login one station)")
        _create_login(conn, login_role, schema.STATION_GROUP)
        conn.execute("INSERT INTO stations (name, login_role) VALUES (%s, %s)",
                     (name, login_role))


def add_coach(conn: psycopg.Connection, login_role: str) -> None:
    """A coach's login (created if missing): reads, corrects and deletes."""
    with conn.transaction():
        _create_login(conn, login_role, schema.COACH_GROUP)


def set_body_mass(conn: psycopg.Connection, name: str, body_mass_kg: float) -> str:
    """A coach's decision on an athlete's body mass (the team's copy; each
    session keeps the mass it was recorded with). Returns the name as the
    team spells it; ``TeamError`` if the team has no such athlete."""
    kg = records.body_mass_kg(body_mass_kg)
    row = conn.execute("UPDATE athletes SET body_mass_kg = %s WHERE lower(name) = lower(%s)"
                       " RETURNING name", (kg, records.athlete_name(name))).fetchone()
    if row is None:
        raise TeamError(f"no athlete {name!r} on the team server")
    return row[0]


def _kg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    try:
        return records.body_mass_kg(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _password_hint(service: str, login_role: str) -> str:
    return f"(its password: psql \"service={service}\" -c '\\password {login_role}')"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backstation.team.admin",
                                     description="Set up a Back Station team database.")
    parser.add_argument("--server", required=True, metavar="SERVICE",
                        help="the service in the libpq service file to log in with: the "
                             "database owner's (a coach's for set-body-mass)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the schema")
    station = sub.add_parser("add-station", help="register a station and its login role")
    station.add_argument("name")
    station.add_argument("login_role")
    coach = sub.add_parser("add-coach", help="a coach's login role")
    coach.add_argument("login_role")
    mass = sub.add_parser("set-body-mass",
                          help="a coach settles an athlete's body mass on the team server")
    mass.add_argument("name")
    mass.add_argument("kg", type=_kg)
    args = parser.parse_args(argv)
    try:
        conn = connect(args.server)
        try:
            if args.command == "migrate":
                start = schema.migrate(conn)
                print(f"team database at schema version {schema.schema_version()} "
                      f"(was {start})")
            elif args.command == "add-station":
                add_station(conn, args.name, args.login_role)
                print(f"station {args.name}: login {args.login_role} "
                      f"{_password_hint(args.server, args.login_role)}")
            elif args.command == "set-body-mass":
                name = set_body_mass(conn, args.name, args.kg)
                print(f"{name}: {args.kg:g} kg on the team server")
            else:
                add_coach(conn, args.login_role)
                print(f"coach login {args.login_role} "
                      f"{_password_hint(args.server, args.login_role)}")
        finally:
            conn.close()
    except TeamError as exc:
        print(f"backstation: {exc}", file=sys.stderr)
        return EXIT_TEAM_ERROR
    except psycopg.Error as exc:
        print(f"backstation: the team server {args.server!r}: {first_line(exc)}", file=sys.stderr)
        return EXIT_TEAM_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
