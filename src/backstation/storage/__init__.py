"""The local session database (SQLite, WAL, forward migrations) and the
incremental writer the recorder uses. Plain Python + numpy: no Qt here."""

from .database import Database, upgrade, utc_iso
from .errors import NoDatabase, OlderDatabase, SessionNotFound, StorageError
from .paths import default_db_path
from .records import (CALIBRATION_SOURCES, STAT_COLUMNS, Athlete, CalibrationRecord, DeviceInfo,
                      EventRecord, LoggedSet, RepRecord, SessionInfo, SetRecord)
from .schema import MIGRATIONS, Migration, schema_version
from .writer import FLUSH_INTERVAL_S, FLUSH_SAMPLES, SessionWriter

__all__ = [
    "CALIBRATION_SOURCES", "FLUSH_INTERVAL_S", "FLUSH_SAMPLES", "MIGRATIONS", "STAT_COLUMNS",
    "Athlete", "CalibrationRecord", "Database", "DeviceInfo", "EventRecord", "LoggedSet", "Migration",
    "NoDatabase", "OlderDatabase",
    "SessionInfo", "SessionNotFound", "SessionWriter", "StorageError", "default_db_path",
    "schema_version", "upgrade", "utc_iso",
]
