"""Where the database lives when ``--db`` does not say."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "backstation"
DB_FILENAME = "backstation.db"


def default_db_path() -> Path:
    """The platform's per-user data folder (created if missing) plus
    ``backstation.db``: ~/.local/share/backstation on Linux,
    ~/Library/Application Support/backstation on macOS,
    %LOCALAPPDATA%\\backstation\\backstation on Windows."""
    folder = platformdirs.user_data_path(APP_NAME, appauthor=False)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / DB_FILENAME
