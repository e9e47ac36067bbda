"""CI's screenshots land in a folder git ignores, never over the tracked
docs/screenshots (issue 14); the tool's own default is that folder too."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ignored(path: Path) -> bool:
    probe = path / "live-800x480.png"
    result = subprocess.run(["git", "check-ignore", "-q", str(probe.relative_to(ROOT))],
                            cwd=ROOT, check=False)
    return result.returncode == 0


def _tool():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "tools" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_writes_screenshots_into_an_ignored_folder_not_over_the_tracked_ones():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if "tools/screenshots.py" in line and not line.lstrip().startswith("#")]
    assert lines, ".ci/run no longer makes the screenshots"
    for line in lines:
        words = shlex.split(line)
        out = words[words.index("--out") + 1] if "--out" in words else None
        folder = ROOT / out if out else _tool().DEFAULT_OUT
        assert folder.resolve() != (ROOT / "docs" / "screenshots").resolve()
        assert _ignored(folder), f"{folder} is not ignored by git"
    assert _ignored(_tool().DEFAULT_OUT)
    assert not _ignored(ROOT / "docs" / "screenshots")
    assert re.search(r"--out docs/screenshots", _tool().__doc__)    # how to refresh them
