"""Team-database test helpers: a fresh database per test on the run's test
server (tests/pg.py), two stations and a coach, a libpq service file naming
them, and station sessions with samples, calibrations, events, sets and reps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
import pytest

from backstation.samples import DistanceBlock, ForceBlock
from backstation.storage import Database, RepRecord, SetRecord
from backstation.team import admin, schema

from .pg import ADMIN_ROLE

_numbers = itertools.count()
STATIONS = {"rack1": "station_rack1", "rack2": "station_rack2"}
COACH_ROLE = "coach_team"


@dataclass
class TeamServer:
    dbname: str
    conninfo_for: dict[str, str]       # service name -> conninfo

    def connect(self, service: str = "owner", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.conninfo_for[service], autocommit=True, **kwargs)

    def count(self, table: str) -> int:
        with self.connect() as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def write_service_file(path: Path, services: dict[str, str]) -> None:
    path.write_text("".join(
        f"[{name}]\n" + "".join(f"{part}\n" for part in conninfo.split()) + "\n"
        for name, conninfo in services.items()))


@pytest.fixture
def team_server(pg_server, tmp_path, monkeypatch) -> TeamServer:
    """A new team database, migrated, with stations rack1 and rack2 and a coach;
    the services owner, rack1, rack2 and coach in a service file PGSERVICEFILE names."""
    return new_team_server(pg_server, tmp_path, monkeypatch)


def new_team_server(pg_server, tmp_path, monkeypatch, ctype: str | None = None) -> TeamServer:
    """The ``team_server`` fixture's database; ``ctype``: its LC_CTYPE (the test
    cluster's is C, where lower() folds ASCII only; a Debian server's is often
    a UTF-8 locale, where it folds every letter)."""
    dbname = f"team_{next(_numbers)}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {dbname}" if ctype is None else
                     f"CREATE DATABASE {dbname} TEMPLATE template0 LC_CTYPE '{ctype}'")
    services = {"owner": pg_server.conninfo(dbname, ADMIN_ROLE),
                **{s: pg_server.conninfo(dbname, role) for s, role in STATIONS.items()},
                "coach": pg_server.conninfo(dbname, COACH_ROLE)}
    with psycopg.connect(services["owner"], autocommit=True) as conn:
        schema.migrate(conn)
        for station, role in STATIONS.items():
            admin.add_station(conn, station, role)
        admin.add_coach(conn, COACH_ROLE)
    service_file = tmp_path / "pg_service.conf"
    write_service_file(service_file, services)
    monkeypatch.setenv("PGSERVICEFILE", str(service_file))
    return TeamServer(dbname, services)


def record_session(db: Database, athlete: str | None = "Anna", seconds: float = 3.0,
                   rate_hz: int = 80, flushes_per_s: int = 1,
                   started_at: datetime | None = None, body_mass_kg: float = 70.0) -> int:
    """A finished two-channel session of ``seconds`` at ``rate_hz`` (force and
    distance, one chunk per flush) with a calibration, events, a set and two reps;
    ``started_at`` (default now) as the station's clock says, ended ``seconds`` later."""
    who = None if athlete is None else db.get_or_create_athlete(athlete, body_mass_kg)
    sid = db.create_session(athlete=who, device_id="BS-0001", firmware="1.0", protocol=1,
                            force_channels=2, force_rate_hz=rate_hz, distance_sensor="hc-sr04",
                            started_at=started_at)
    db.add_calibration(sid, 0, 8000, 21.5, t_device_us=0)
    db.add_calibration(sid, 1, -1200, 22.25, source="tare", t_device_us=1_000_000)
    rng = np.random.default_rng(sid)
    n = int(seconds * rate_hz)
    per_flush = max(1, rate_hz // flushes_per_s)
    for start in range(0, n, per_flush):
        idx = np.arange(start, min(n, start + per_flush))
        t = idx * (1_000_000 // rate_hz) + 5_000
        db.append_force(sid, ForceBlock(
            (idx % 65536).astype(np.uint16), t.astype(np.int64),
            rng.integers(-8_000_000, 8_000_000, (len(idx), 2)).astype(np.int32),
            1.7e9 + t / 1e6))
        db.append_distance(sid, DistanceBlock(
            (idx % 65536).astype(np.uint16), t.astype(np.int64) + 300,
            rng.integers(-1, 900, len(idx)).astype(np.int32), 1.7e9 + t / 1e6 + 3e-4))
    db.add_event(sid, "contact", "on", t_host_s=1.7e9 + 1, t_device_us=1_200_000)
    db.add_event(sid, "time_origin", "", t_host_s=1.7e9, t_device_us=5_000)
    db.save_set(SetRecord(sid, 0, "inverted-row", "heels-floor", 5.0, False, 5_000, 2_900_000,
                          1, 1, {"velocity_loss_pct": 12.5}))
    db.save_rep(RepRecord(sid, 0, 0, True, None, 100_000, 1_300_000, 512.25, 11.0,
                          {"peak_force_n": 512.25, "rfd_n_per_s": None}))
    db.save_rep(RepRecord(sid, 0, 1, False, "no_contact", 1_400_000, 2_500_000, 498.0, 61.0,
                          {"peak_force_n": 498.0}))
    db.finish_session(sid, stats={"crc_errors": 2, "reconnects": 1},
                      ended_at=None if started_at is None else
                      started_at + timedelta(seconds=seconds))
    return sid
