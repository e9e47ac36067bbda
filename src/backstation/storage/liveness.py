"""Which open sessions still have a live writer.

A recorder holds an exclusive OS lock on a small file beside the database,
``<db>-live-<session id>``, from the moment its session row exists until the
session is finished. The OS drops the lock when the process dies, however it
dies (kill -9, a crash, a power cut's reboot), so when a session has no end
time and its lock can be taken, its writer is gone. ``flock`` (or Windows'
``msvcrt.locking``) conflicts between two opens even inside one process, so
a second ``Database`` on the same file in the same process tells too.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:                       # Windows
    fcntl = None
    import msvcrt


def lock_path(db_path: Path, session_id: int) -> Path:
    return db_path.with_name(f"{db_path.name}-live-{session_id}")


class WriterLock:
    """An exclusive lock on one session's lock file, or nothing (``held`` False)."""

    def __init__(self, db_path: Path, session_id: int):
        self.path = lock_path(db_path, session_id)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(self._fd, msvcrt.LK_NBLCK, 1)
            self.held = True
        except OSError:
            os.close(self._fd)
            self._fd = None
            self.held = False

    def release(self, remove: bool = True) -> None:
        """Unlock (the file is removed first: nobody waits on it by name)."""
        if self._fd is None:
            return
        if remove:
            try:
                self.path.unlink()
            except OSError:
                pass
        os.close(self._fd)                 # closing drops the lock
        self._fd = None
        self.held = False
