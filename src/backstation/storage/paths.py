"""Where the database lives when ``--db`` does not say."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from .errors import StorageError

APP_NAME = "backstation"
DB_FILENAME = "backstation.db"
# The simulated station's sessions, beside the training ones and apart from them
# (History and Progress never mix practice with training).
SIMULATED_DB_FILENAME = "simulated.db"


def default_db_path(create_folder: bool = True) -> Path:
    """The platform's per-user data folder plus ``backstation.db``:
    ~/.local/share/backstation on Linux, ~/Library/Application Support/backstation
    on macOS, %LOCALAPPDATA%\\backstation\\backstation on Windows.

    ``create_folder``: make the folder if it is missing (for a writer; a
    reader only looks). ``StorageError`` if it cannot be made (e.g.
    ``XDG_DATA_HOME`` points somewhere read-only)."""
    folder = platformdirs.user_data_path(APP_NAME, appauthor=False)
    if create_folder:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the data folder {folder}: "
                               f"{exc.strerror or exc}; choose a database with --db") from None
    return folder / DB_FILENAME


def simulated_db_path(create_folder: bool = True) -> Path:
    """``default_db_path``'s folder plus ``simulated.db``: where ``--simulate``
    records when ``--db`` does not say."""
    return default_db_path(create_folder).with_name(SIMULATED_DB_FILENAME)
