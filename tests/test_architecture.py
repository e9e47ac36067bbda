"""The model never imports Qt (STYLE habit 1): protocol, analysis, storage,
the device simulator and the link are plain Python + numpy. The layers are
import-linter contracts in pyproject.toml, checked here by ``lint-imports``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "backstation"
QT_FREE_PACKAGES = ("protocol", "analysis", "storage", "device", "link", "team")
# The pipeline shared by the headless commands and the app.
QT_FREE_MODULES = ("samples", "session", "record", "replay", "export", "csvformat", "monitor",
                   "verdicts", "exercises", "workout", "progress")
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "qtpy")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", QT_FREE_PACKAGES)
def test_model_packages_do_not_import_qt(package):
    offenders = []
    for path in sorted((SRC / package).rglob("*.py")):
        for name in _imported_modules(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert not offenders, offenders


@pytest.mark.parametrize("module", QT_FREE_MODULES)
def test_pipeline_modules_do_not_import_qt(module):
    names = _imported_modules(SRC / f"{module}.py")
    assert not [n for n in names if n.split(".")[0] in QT_MODULES]


def test_importing_the_model_loads_no_qt_at_runtime():
    modules = ", ".join(f"backstation.{p}" for p in QT_FREE_PACKAGES + QT_FREE_MODULES)
    code = (f"import sys, importlib\n"
            f"for m in '{modules}'.split(', '): importlib.import_module(m)\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={"PYTHONPATH": str(SRC.parent), "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _lint_imports(config: Path) -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports_command; " \
           "sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--config", str(config), "--no-cache"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={"PYTHONPATH": str(SRC.parent), "PATH": ""})


def test_import_contracts_are_kept():
    result = _lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_import_contract_fails_the_check(tmp_path):
    """protocol imports samples: a contract putting samples above protocol is broken."""
    config = tmp_path / "upside_down.toml"
    config.write_text('[tool.importlinter]\nroot_package = "backstation"\n\n'
                      '[[tool.importlinter.contracts]]\nname = "upside down"\n'
                      'type = "layers"\nlayers = ["backstation.samples", "backstation.protocol"]\n',
                      encoding="utf-8")
    result = _lint_imports(config)
    assert result.returncode != 0
    assert "upside down BROKEN" in result.stdout
