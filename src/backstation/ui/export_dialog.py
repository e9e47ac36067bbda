"""Export a stored session to CSV from the app: the same samples.csv,
reps.csv and sets.csv as ``backstation export``, written by ``export_session`` on a
worker thread behind a cancellable progress dialog.

Each export goes into its own folder (``backstation-session-<id>``, or
``backstation-session-<station>-<id>`` for a team session) inside the one
the user picks, so exporting several sessions to one place never overwrites
an earlier export. A team session (History in team mode) is read whole from
the team server (``team.read.load_session``) and written by the same
``export_session`` through ``BundleReader``, as ``backstation export
--server`` does. The database is only read; a failed or cancelled export
leaves no partial file (``export_session`` writes under a temporary name)
and reports in a non-modal message box.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from ..export import ExportCancelled, export_session
from ..storage.bundle_reader import BundleReader
from .jobs import DatabaseJob, ServerJob

if TYPE_CHECKING:
    from ..team.pool import TeamPool

PROGRESS_STEPS = 1000
# Short exports finish before the dialog would appear, so it never flashes.
PROGRESS_DELAY_MS = 500


@dataclass(frozen=True)
class TeamCopy:
    """A session exported from the team server rather than this station's file."""

    server: str                  # the service name (docs/team.md)
    station: str                 # the station that recorded it
    uid: str
    pool: TeamPool | None = None  # the app's connections to it (team/pool.py)


def export_folder(out_dir: Path, session_id: int, station: str = "") -> Path:
    """The export's own folder in ``out_dir``; a team session's names its
    station (a station's ids repeat across the team)."""
    name = f"{station}-{session_id}" if station else str(session_id)
    return Path(out_dir) / f"backstation-session-{name}"


class ExportRun(QObject):
    """One export in progress; reports one of exported / export_failed / export_cancelled."""

    progressed = Signal(float)           # fraction of the samples written
    exported = Signal(object)            # (samples.csv, reps.csv, sets.csv)
    export_failed = Signal(str)
    export_cancelled = Signal()

    def __init__(self, parent: QWidget | None, db_path: Path, session_id: int, out_dir: Path,
                 *, team: TeamCopy | None = None):
        """``team``: export that team session (``session_id`` its station's id
        of it) from the team server."""
        super().__init__(parent)
        self.session_id = session_id
        self.name = str(session_id) if team is None else f"{team.station}/{session_id}"
        self.folder = export_folder(out_dir, session_id, "" if team is None else team.station)
        self._created_folder = False
        self.message_box: QMessageBox | None = None
        self.progress = QProgressDialog(f"Exporting session {self.name}…", "Cancel", 0,
                                        PROGRESS_STEPS, parent)
        self.progress.setWindowTitle("Export")
        self.progress.setMinimumDuration(PROGRESS_DELAY_MS)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.canceled.connect(self.cancel)
        self.progressed.connect(self._on_progressed)
        if team is None:
            self._job = DatabaseJob(db_path, self._work, "export", self, read_only=True)
        else:
            def work(conn, cancel):
                from ..team import read     # psycopg: loaded once a team server is used

                return self._work(BundleReader(read.load_session(conn, team.uid)), cancel)
            self._job = ServerJob(team.server, work, "export-team", self, pool=team.pool)
        self._job.succeeded.connect(self._on_succeeded)
        self._job.failed.connect(self._on_failed)

    # -- control (GUI thread) -----------------------------------------------

    def start(self) -> None:
        self.progress.setValue(0)
        self._job.start()

    def cancel(self) -> None:
        self._job.cancel()

    def is_running(self) -> bool:
        return self._job.is_running()

    def shutdown(self) -> None:
        """Cancel and join (the owner is closing)."""
        self._job.join()
        self._close_progress()

    def _close_progress(self) -> None:
        self.progress.reset()            # also stops its show-later timer
        self.progress.hide()

    # -- worker thread --------------------------------------------------------

    def _work(self, db, cancel):
        if not self.folder.parent.is_dir():
            raise FileNotFoundError(2, "the folder does not exist", str(self.folder.parent))
        self._created_folder = not self.folder.exists()
        try:
            return export_session(db, self.session_id, self.folder,
                                  progress=lambda f: self._on_worker_progress(f, cancel))
        except ExportCancelled:
            self._remove_empty_folder()
            return None
        except BaseException:
            self._remove_empty_folder()
            raise

    def _on_worker_progress(self, fraction: float, cancel) -> bool:
        self.progressed.emit(fraction)
        return not cancel.is_set()

    def _remove_empty_folder(self) -> None:
        if self._created_folder:
            try:
                self.folder.rmdir()          # only if empty: never removes user files
            except OSError:
                pass

    # -- results (GUI thread) -------------------------------------------------

    @Slot(float)
    def _on_progressed(self, fraction: float) -> None:
        if not self.progress.wasCanceled():
            self.progress.setValue(int(fraction * PROGRESS_STEPS))

    @Slot(object)
    def _on_succeeded(self, paths) -> None:
        self._close_progress()
        if paths is None:
            self._tell("Export cancelled", "The export was cancelled; no file was written.",
                       QMessageBox.Icon.Information)
            self.export_cancelled.emit()
            return
        self._tell("Export finished",
                   f"Session {self.name} exported to\n{self.folder}\n\n"
                   + ", ".join(p.name for p in paths), QMessageBox.Icon.Information)
        self.exported.emit(paths)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._close_progress()
        self._tell("Export failed",
                   f"Session {self.name} could not be exported to {self.folder}:\n"
                   f"{message}\n\nThe recorded session is unchanged.", QMessageBox.Icon.Warning)
        self.export_failed.emit(message)

    def _tell(self, title: str, text: str, icon: QMessageBox.Icon) -> None:
        # Non-modal: an I/O error must not block the live view behind it.
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok,
                          self.parent() if isinstance(self.parent(), QWidget) else None)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.message_box = box


def start_folder() -> Path:
    """Where the folder dialog opens: the Documents folder if it exists (a
    fresh machine or a Pi may have none: the dialog could not choose it),
    else the home folder, else the current one."""
    for location in (QStandardPaths.StandardLocation.DocumentsLocation,
                     QStandardPaths.StandardLocation.HomeLocation):
        path = QStandardPaths.writableLocation(location)
        if path and Path(path).is_dir():
            return Path(path)
    return Path.cwd()


def choose_folder(parent: QWidget | None) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Export session to folder",
                                              str(start_folder()))
    return Path(chosen) if chosen else None


def export_with_dialog(parent: QWidget | None, db_path: Path, session_id: int,
                       out_dir: Path | None = None, *,
                       team: TeamCopy | None = None) -> ExportRun | None:
    """Ask for a folder (unless ``out_dir`` is given) and start the export
    (``team``: of that team session); the running export, or None if the
    user chose no folder."""
    if out_dir is None:
        out_dir = choose_folder(parent)
        if out_dir is None:
            return None
    run = ExportRun(parent, Path(db_path), session_id, Path(out_dir), team=team)
    run.start()
    return run
