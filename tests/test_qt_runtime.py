"""Guard against the PySide6 6.12.0 / Python 3.11 none_dealloc abort (docs/design.md §7):
thousands of Qt calls returning None must leave the interpreter alive."""

from __future__ import annotations

import os
import subprocess
import sys

QT_CALLS = 20_000


def test_thousands_of_void_qt_calls_do_not_abort_the_interpreter():
    code = (
        "from PySide6.QtCore import QObject, QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "o = QObject()\n"
        f"for i in range({QT_CALLS}):\n"
        "    o.setObjectName('x')\n"
        "    o.blockSignals(False)\n"
        "print('alive')\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "alive"
