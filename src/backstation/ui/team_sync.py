"""The app's background uploads to the team server and their state in the
status bar: a thin Qt wrapper around ``team.background.BackgroundSync``
(its worker thread, back-off and shutdown are there)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..team.background import FAILED, PENDING, UPLOADING, BackgroundSync, SyncState
from ..team.report import conflicts_summary, refused_summary, sessions_text
from . import theme
from .delivery import GuiDelivery
from .plain_text import plain_label, plain_tooltip

if TYPE_CHECKING:
    from ..team.pool import TeamPool

# The status never takes more of the status bar than this (the reason is
# elided there, whole in its tooltip): stream health keeps the rest.
MAX_STATUS_WIDTH_PX = 640


def status_text(server: str, state: SyncState | None) -> str:
    """The status bar's words for ``state`` (None: not started yet); sessions
    the server refused and athletes the team disagrees on are counted there,
    named in ``status_tooltip``."""
    if state is None:
        return f"Team {server}: starting"
    if state.phase == FAILED:
        return _failed_text(server, state)
    if state.phase == PENDING:
        text = f"Team {server}: {sessions_text(state.pending)} to upload"
    elif state.phase == UPLOADING:
        text = f"Team {server}: uploading, {sessions_text(state.pending)} left"
    else:
        text = f"Team {server}: all sessions uploaded"
    if state.refused:
        text += f"; {refused_summary(len(state.refused))}"          # named in the tooltip
    if state.conflicts:
        text += f"; {conflicts_summary(len(state.conflicts))}"     # named in the tooltip
    return text


def status_tooltip(server: str, state: SyncState | None) -> str:
    """The whole status, then one line per session the server refused and
    per athlete the team disagrees on."""
    lines = [status_text(server, state)]
    if state is not None:
        lines += state.refused + state.conflicts
    return "\n".join(lines)


def _failed_text(server: str, state: SyncState) -> str:
    retry = "" if state.retry_in_s is None else f", retry in {state.retry_in_s:.0f} s"
    return f"Team {server}: not uploaded ({state.pending} waiting{retry}): {state.reason}"


class TeamSync(QObject):
    """Owns the upload worker for one database and server; ``state_changed``
    on the GUI thread. ``shutdown`` stops and joins it (MainWindow.shut_down)."""

    state_changed = Signal(object)       # SyncState

    def __init__(self, db_path: Path, server: str, parent: QObject | None = None, *,
                 first_retry_s: float | None = None, pool: TeamPool | None = None):
        super().__init__(parent)
        self.server = server
        self.state: SyncState | None = None
        self._delivery = GuiDelivery(self)
        retry = {} if first_retry_s is None else {"first_retry_s": first_retry_s}
        self._worker = BackgroundSync(db_path, server, self._from_worker, pool=pool, **retry)

    def start(self) -> None:
        self._worker.start()

    @Slot()
    def request(self) -> None:
        """A session has ended: upload it soon."""
        self._worker.request()

    def is_running(self) -> bool:
        return self._worker.is_running()

    def ask_to_stop(self) -> None:
        """The first step of the window's shutdown: the worker ends after the
        session it is sending, while the rest of the shutdown goes on."""
        self._worker.ask_to_stop()

    def shutdown(self) -> bool:
        """Stop the worker (after the session it is sending) and join it."""
        return self._worker.stop()

    def _from_worker(self, state: SyncState) -> None:
        try:
            self._delivery.put(self._on_state, state)
        except RuntimeError:
            pass       # the window was deleted while the worker ran: nobody to tell

    def _on_state(self, state: SyncState) -> None:
        self.state = state
        self.state_changed.emit(state)


class TeamSyncStatus(QLabel):
    """The uploads' state in the status bar, elided to its room; the whole
    line in its tooltip."""

    def __init__(self, server: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.server = server
        plain_label(self)                # a server's reason, the team's athletes' names
        self.setMaximumWidth(MAX_STATUS_WIDTH_PX)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.full_text = ""
        self.show_state(None)

    @Slot(object)
    def show_state(self, state: SyncState | None) -> None:
        self.full_text = status_text(self.server, state)
        self.setToolTip(plain_tooltip(status_tooltip(self.server, state)))
        warn = state is not None and (state.phase == FAILED or bool(state.conflicts)
                                      or bool(state.refused))
        colour = theme.WARNING if warn else theme.MUTED
        self.setStyleSheet(f"color: {colour};")
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._elide()

    def minimumSizeHint(self):  # noqa: N802 - Qt API
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), self.fontMetrics().horizontalAdvance("Team: …") + 4))
        return hint

    def sizeHint(self):  # noqa: N802 - Qt API
        hint = super().sizeHint()
        margins = self.contentsMargins()
        hint.setWidth(min(MAX_STATUS_WIDTH_PX,
                          self.fontMetrics().horizontalAdvance(self.full_text) + margins.left()
                          + margins.right() + 2 * self.margin() + 8))
        return hint

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width() - 2 * self.margin() - 2)
        self.setText(self.fontMetrics().elidedText(self.full_text,
                                                   Qt.TextElideMode.ElideRight, width))
