"""Database work off the GUI thread (ui/jobs.py): what its threads may cost
the app's ending."""

from __future__ import annotations

import subprocess
import sys

# A view's shutdown joins its jobs (5 s each), then the app exits. A job still
# in its work after that (a read far longer than its busy timeout, work that
# does not look at its cancel event) must not hold the process: Python's exit
# waits for every thread that is not a daemon.
CHILD = """
import sys, threading
from PySide6.QtCore import QCoreApplication
from backstation.ui.jobs import DatabaseJob, JobOwner

app = QCoreApplication([])
owner = JobOwner()
never = threading.Event()
owner.run(DatabaseJob(sys.argv[1], lambda db, cancel: never.wait(), "stuck"))
print("joined" if owner.join_all(timeout_s=0.2) else "still running", flush=True)
sys.exit(0)
"""


def test_a_job_still_running_after_its_join_does_not_keep_the_app_from_exiting(tmp_path):
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "s.db")],
                              capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the process did not exit: {exc.stdout!r} {exc.stderr!r}") from None
    assert (done.returncode, done.stdout) == (0, "still running\n"), done.stderr
