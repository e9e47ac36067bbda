"""History: the session browser (list, open, replay with rep markers, delete,
export) and per-athlete progress charts. Database work runs on worker
threads (``ui/jobs.DatabaseJob``); the owner calls ``shutdown()`` before quitting."""

from .progress_view import ProgressView
from .session_model import SessionTableModel
from .view import HistoryView

__all__ = ["HistoryView", "ProgressView", "SessionTableModel"]
