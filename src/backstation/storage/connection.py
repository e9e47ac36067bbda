"""Opening the database file safely.

Order matters: everything that can refuse the file (not SQLite, damaged,
someone else's database, written by a newer Back Station) runs before the
first write, so a refused file is left byte-identical. Only then is WAL
switched on and the schema migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from .errors import NoDatabase, OlderDatabase, StorageError
from .schema import APPLICATION_ID, Migration, migrate, schema_version

SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT_S = 5.0


def _check_header(path: Path) -> None:
    """Reject a file that is not SQLite before sqlite3 touches it."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return                       # a new database
    except IsADirectoryError:
        raise StorageError(f"{path} is a folder, not a database file") from None
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head and head != SQLITE_MAGIC:
        raise StorageError(
            f"{path} is not a Back Station database (not an SQLite file); "
            "it was left untouched — choose another file with --db")


def _check_contents(conn: sqlite3.Connection, path: Path, code_version: int) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    # Reading the schema table makes SQLite parse page 1 and the schema:
    # this is where a damaged file shows itself.
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id not in (0, APPLICATION_ID) or (version == 0 and tables and app_id == 0):
        raise StorageError(
            f"{path} is an SQLite database of another application, not Back Station's; "
            "it was left untouched — choose another file with --db")
    if version > code_version:
        raise StorageError(
            f"{path} was written by a newer Back Station (database schema version "
            f"{version}, this version understands up to {code_version}); "
            "upgrade Back Station to open it")


def _check_intact(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a damaged file before writing to it: ``quick_check`` reads every
    page (0.04-0.07 s for an 82 MB database in the page cache, more from a
    cold disk), so damage that ``sessions`` would meet later is found before
    ``record`` changes a byte."""
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        raise StorageError(f"{path} is damaged ({'; '.join(problems)}); "
                           "it was left untouched — choose another file with --db")


def open_reading(path: Path, migrations: Sequence[Migration] | None = None,
                 busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``: works on a read-only mount or a
    0444 file, never creates or changes the file), or ``StorageError``;
    ``NoDatabase`` if there is no file at ``path``."""
    path = Path(path)
    if not path.exists():
        raise NoDatabase(path)
    _check_header(path)
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = None
    try:
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL database in a folder nobody may write to: SQLite cannot
            # make its -shm file. Nobody can be writing it either, so read it
            # as immutable.
            if conn is not None:
                conn.close()
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=busy_timeout_s,
                                   isolation_level=None, check_same_thread=False)
        _check_contents(conn, path, schema_version(migrations))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < schema_version(migrations):
            raise OlderDatabase(
                f"{path} was written by an older Back Station (database schema version "
                f"{version}); record into it once to upgrade it, then read it")
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    except StorageError:
        if conn is not None:
            conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise StorageError(_explain(path, exc)) from exc
    return conn


def open_connection(path: Path, migrations: Sequence[Migration] | None = None,
                    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, *,
                    create: bool = True) -> sqlite3.Connection:
    """An autocommit connection (transactions are explicit) on an up-to-date
    schema, or ``StorageError`` saying why the file cannot be used.
    ``create=False``: ``NoDatabase`` if there is no file at ``path`` (a
    command that changes sessions but never records one, such as ``sync``)."""
    path = Path(path)
    if not create and not path.exists():
        raise NoDatabase(path)
    _check_header(path)
    try:
        # check_same_thread=False: the owner may hand the database over to
        # another thread (e.g. created in main, used by the recorder); it is
        # still used by one thread at a time.
        conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path}: {exc}") from exc
    try:
        _check_contents(conn, path, schema_version(migrations))
        _check_intact(conn, path)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StorageError(f"{path}: cannot switch to WAL journal mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, migrations)
    except StorageError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StorageError(_explain(path, exc)) from exc
    return conn


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (f"{path} is damaged or not a Back Station database ({text}); "
                "it was left untouched — choose another file with --db")
    if "locked" in text or "busy" in text:
        return f"{path} is locked by another program ({text}); try again"
    return f"cannot use {path}: {text}"
