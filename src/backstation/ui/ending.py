"""``AppEnding``: how the app's process ends, whatever ends it.

The desktop session can end under the app: SIGTERM or SIGHUP at logout or
shutdown, Ctrl-C in a terminal, the X server going away (a display manager
restarting, an ssh X session dropping). Each is an *ending*: one line is
logged, the window's shutdown order runs (``MainWindow.shut_down``: the
recording finished and saved, STOP sent, the port released), and the
process exits within ``SHUTDOWN_BOUND_S`` whatever happens.

What Qt 6 does when the X server dies (measured, PySide6 6.11, xcb): it
prints "The X11 connection broke (error 1). Did the X11 server die?" and
ends the event loop with code 1; no close event reaches the window. Before
this module the app then returned from ``run`` with its command, link and
storage threads still running, and Python's exit waited for them forever.

A watchdog thread (a daemon, never the GUI thread) owns the bound:

- it reads the signals from ``signal.set_wakeup_fd``'s pipe, so it sees a
  signal even while the GUI thread is busy; the first asks the window to
  close (``request_close``, which must be safe from any thread), a second
  one during the ending exits at once (``128 + signal``): what was flushed
  is kept, the next opening closes the session as interrupted;
- it polls the X connection's socket (``display_fd``) for a hang-up, so the
  display going away starts the bound even if the GUI thread is stuck;
- from the first ending on, it exits the process with ``hard_exit`` (by
  default ``os._exit``) once ``bound_s`` has passed.

No Qt in here: ``app.run`` gives the callbacks and the X socket.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

SHUTDOWN_BOUND_S = 8.0      # from the first ending to the process gone, at most
EXIT_DISPLAY_LOST = 4       # the display went away (2 and 3 are cli's station and database)
EXIT_SHUTDOWN_OVERRAN = 5   # the shutdown passed its bound: exited with what was saved
ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                       if hasattr(signal, name))
DISPLAY_LOST = "the display went away"

_WAKE = b"w"
_STOP = b"s"


class AppEnding:
    """One per process. ``install()`` from the main thread, before ``app.exec()``."""

    def __init__(self, request_close: Callable[[], None], *,
                 display_fd: int | None = None,
                 bound_s: float = SHUTDOWN_BOUND_S,
                 hard_exit: Callable[[int], None] = os._exit):
        self._request_close = request_close
        self._display_fd = display_fd
        self.bound_s = bound_s
        self._hard_exit = hard_exit
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.code = 0
        self._deadline: float | None = None     # monotonic
        self._signal_r, self._signal_w = _pipe()
        self._control_r, self._control_w = _pipe()
        self._thread = threading.Thread(target=self._run, name="backstation-ending",
                                        daemon=True)

    @property
    def ending(self) -> bool:
        return self.reason is not None

    def install(self) -> None:
        """Take SIGINT, SIGTERM and SIGHUP for the rest of the process and
        start the watchdog. The Python-level handlers do nothing: the wakeup
        pipe hands the signal to the watchdog thread."""
        for sig in ENDING_SIGNALS:
            signal.signal(sig, _ignore)
        signal.set_wakeup_fd(self._signal_w, warn_on_full_buffer=False)
        self.start()

    def start(self) -> None:
        """Start the watchdog alone (``install`` does it too)."""
        self._thread.start()

    def begin(self, reason: str, code: int = 0, *, quiet: bool = False) -> bool:
        """The process is ending: log ``reason`` (unless ``quiet``) and start
        the bound. Only the first call counts; returns whether this was it."""
        with self._lock:
            if self.reason is not None:
                return False
            self.reason, self.code = reason, code
            self._deadline = time.monotonic() + self.bound_s
        if not quiet:
            log.warning("%s: saving the session and quitting", reason)
        _write(self._control_w, _WAKE)
        return True

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop the watchdog without exiting (for tests); the signals stay taken."""
        _write(self._control_w, _STOP)
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    # -- the watchdog thread -------------------------------------------------------

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._signal_r, select.POLLIN)
        poller.register(self._control_r, select.POLLIN)
        if self._display_fd is not None:
            poller.register(self._display_fd, 0)    # only hang-up and errors
        while True:
            deadline = self._deadline
            timeout_ms = None if deadline is None else max(0, int((deadline - time.monotonic())
                                                                  * 1000) + 1)
            for fd, flags in poller.poll(timeout_ms):
                if fd == self._control_r:
                    if _STOP in _drain(fd):
                        return
                elif fd == self._signal_r:
                    for signum in _drain(fd):
                        self._on_signal(signum)
                elif fd == self._display_fd:
                    poller.unregister(fd)
                    if self.begin(DISPLAY_LOST, EXIT_DISPLAY_LOST):
                        self._request_close()
            deadline = self._deadline
            if deadline is not None and time.monotonic() >= deadline:
                log.warning("the shutdown took over %g s: exiting with what was saved "
                            "(the session is closed as interrupted at the next start)",
                            self.bound_s)
                self._hard_exit(EXIT_SHUTDOWN_OVERRAN)
                return

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.begin(name, 0):
            self._request_close()
            return
        log.warning("%s again while quitting: exiting now with what was saved", name)
        self._hard_exit(128 + signum)


def _ignore(*_: object) -> None:
    """The watchdog handles it (through the wakeup pipe)."""


def _pipe() -> tuple[int, int]:
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    return r, w


def _write(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except BlockingIOError:
        pass    # the pipe is full of wake-ups already


def _drain(fd: int) -> bytes:
    out = b""
    while True:
        try:
            chunk = os.read(fd, 512)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def x11_connection_fd(app) -> int | None:
    """The socket of the X connection Qt's xcb plugin holds, or None (another
    platform, or libxcb not loadable)."""
    import ctypes
    import ctypes.util

    try:
        native = app.nativeInterface()
        connection = native.connection() if native is not None else None
    except (AttributeError, RuntimeError, TypeError):
        return None
    if not connection:
        return None
    try:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
        xcb.xcb_get_file_descriptor.argtypes = [ctypes.c_void_p]
        xcb.xcb_get_file_descriptor.restype = ctypes.c_int
        fd = xcb.xcb_get_file_descriptor(ctypes.c_void_p(int(connection)))
    except (OSError, AttributeError, TypeError, ValueError) as exc:
        log.info("the X connection is not watched: %s", exc)
        return None
    return fd if fd >= 0 else None
