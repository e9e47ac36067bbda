"""The app and monitor hold a ``LiveSession`` and use only its public face:
nobody outside session.py reaches into its judge, the judge's pipeline, or
anybody's private attributes (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

import backstation

SRC = Path(backstation.__file__).parent
# The modules that hold a LiveSession.
SESSION_USERS = [SRC / "ui" / "acquisition.py", *sorted((SRC / "ui" / "live").glob("*.py")),
                 SRC / "monitor.py"]
INSIDES = {"judge", "pipeline"}


def reach_through(path: Path, root: Path = SRC) -> list[str]:
    """``x.judge``, ``x.pipeline`` and ``x._private`` (x not self or cls) in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Attribute):
            continue
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        private = node.attr.startswith("_") and not node.attr.startswith("__")
        if node.attr in INSIDES or (private and owner not in ("self", "cls")):
            found.append(f"{path.relative_to(root)}:{node.lineno}: .{node.attr}")
    return found


def test_the_app_and_monitor_use_the_sessions_public_face_only():
    found = [hit for path in SESSION_USERS for hit in reach_through(path)]
    assert not found, "reach-through instead of LiveSession's public face:\n" + "\n".join(found)


def test_the_check_finds_a_reach_through(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f(session, judge):\n    session.judge.pipeline.start_set()\n"
                      "    judge._store()\n    self._fine = 1\n")
    hits = sorted(hit.split(": ")[1] for hit in reach_through(module, tmp_path))
    assert hits == ["._store", ".judge", ".pipeline"]


def test_no_view_judges_again_or_reaches_into_a_judge():
    """History draws what was stored (as export writes it), never a re-analysis."""
    found = [hit for path in sorted((SRC / "ui").rglob("*.py")) for hit in reach_through(path)
             if hit.endswith((".judge", ".pipeline"))]
    assert not found, "\n".join(found)
    assert "Replay" not in (SRC / "ui" / "history" / "loading.py").read_text(encoding="utf-8")
