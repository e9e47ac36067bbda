"""The design the code cites is in the repository: every "design.md §N" names a
section of docs/design.md, and nothing cites the design file a clone lacks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEARCHED = ["src", "tests", "benchmarks", "docs", "firmware"]
SUFFIXES = {".py", ".md", ".toml", ".h", ".cpp", ".ino", ".c"}


def _texts():
    paths = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for top in SEARCHED:
        paths += [p for p in (ROOT / top).rglob("*")
                  if p.suffix in SUFFIXES and p.is_file() and ".egg-info" not in str(p)]
    for path in paths:
        yield path.relative_to(ROOT), path.read_text(encoding="utf-8", errors="replace")


def test_nothing_cites_the_design_outside_the_repository():
    outside = [f"{path}:{text[:m.start()].count(chr(10)) + 1}"
               for path, text in _texts() for m in re.finditer(r"DESIGN(\.md)? §", text)]
    assert outside == []


def test_every_design_reference_names_a_section_of_docs_design():
    sections = set(re.findall(r"^## (\d+)\.", (ROOT / "docs" / "design.md").read_text(),
                              re.MULTILINE))
    cited = {(str(path), n) for path, text in _texts()
             for n in re.findall(r"design\.md\]?(?:\([^)]*\))? §(\d+)", text)}
    assert cited, "the code cites the design"
    assert [c for c in cited if c[1] not in sections] == []
