"""A real desktop install (issue 14, item 5): the launcher, metainfo and udev
rule pass their own validators, the generated files are what their recipes
make, `install-desktop` puts them where desktops look, and `pip install`
ships them (package data)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tomllib
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from backstation import __version__
from backstation.cli import EXIT_OUTPUT_ERROR, main
from backstation.desktop import desktop_exec, udev_install_command, udev_rule_text
from backstation.resources import (APP_ID, DESKTOP_FILE, FOLDER, ICON_SIZES_PX, ICON_SVG,
                                   METAINFO_FILE, SOUNDS_FOLDER, UDEV_RULE, icon_png)
from backstation.ui.audio import CUE_FILENAMES, write_cue_files

ROOT = Path(__file__).resolve().parents[1]
STATION_CHIPS = [("1a86", "7523"), ("0403", "6001"), ("2341", "0043"), ("2341", "8036"),
                 ("10c4", "ea60")]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: run tools/install-debian-deps (desktop-file-utils, "
                    "appstream)")
    return path


def _validate(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_launcher_passes_desktop_file_validate():
    _validate(_tool("desktop-file-validate"), str(DESKTOP_FILE))


def test_the_metainfo_passes_appstreamcli_and_names_this_version():
    _validate(_tool("appstreamcli"), "validate", "--no-net", str(METAINFO_FILE))
    root = ET.parse(METAINFO_FILE).getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == DESKTOP_FILE.name
    assert root.find("releases/release").get("version") == __version__


def test_install_desktop_puts_the_launcher_icons_and_metainfo_in_the_data_folder(tmp_path,
                                                                                  capsys):
    target = tmp_path / "share"
    assert main(["install-desktop", "--data-home", str(target)]) == 0
    out = capsys.readouterr().out
    launcher = target / "applications" / f"{APP_ID}.desktop"
    installed = [launcher, target / "metainfo" / f"{APP_ID}.metainfo.xml",
                 target / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg",
                 *(target / f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in ICON_SIZES_PX)]
    for path in installed:
        assert path.is_file() and str(path) in out
    _validate(_tool("desktop-file-validate"), str(launcher))
    # Started from a test, the launcher runs this Python with -m backstation.
    exec_line = next(line for line in launcher.read_text().splitlines()
                     if line.startswith("Exec="))
    assert exec_line.endswith(" -m backstation") and exec_line != "Exec=backstation"
    # The udev rule is root's: printed as one command, never run.
    assert udev_install_command() in out and str(UDEV_RULE) in out
    assert not (tmp_path / "etc").exists()


def test_install_desktop_into_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "share"
    blocker.write_text("not a folder")
    assert main(["install-desktop", "--data-home", str(blocker)]) == EXIT_OUTPUT_ERROR
    err = capsys.readouterr().err
    assert err.startswith(f"backstation: cannot write {blocker}") and err.count("\n") == 1
    assert "Errno" not in err


def test_a_launcher_command_with_spaces_is_quoted_as_the_desktop_spec_says():
    assert desktop_exec(["/opt/back station/bin/backstation"]) == \
        '"/opt/back station/bin/backstation"'
    assert desktop_exec(["/usr/bin/python3", "-m", "backstation"]) == \
        "/usr/bin/python3 -m backstation"
    assert desktop_exec(['/a$b/"c"']) == '"/a\\$b/\\"c\\""'
    assert desktop_exec(["/x/100%"]) == "/x/100%%"


def test_the_icon_pngs_are_their_sizes():
    assert ICON_SVG.read_text().lstrip().startswith("<?xml")
    for size in ICON_SIZES_PX:
        header = icon_png(size).read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (size, size)


def test_the_shipped_audio_cues_are_what_the_recipe_makes(tmp_path):
    fresh = write_cue_files(tmp_path)
    for key, name in CUE_FILENAMES.items():
        with wave.open(str(SOUNDS_FOLDER / name)) as shipped, wave.open(str(fresh[key])) as made:
            assert shipped.getparams() == made.getparams()
            a = struct.unpack(f"<{shipped.getnframes()}h", shipped.readframes(-1))
            b = struct.unpack(f"<{made.getnframes()}h", made.readframes(-1))
        assert max(abs(x - y) for x, y in zip(a, b)) <= 1     # a libm's last digit at most


# -- the udev rule ----------------------------------------------------------------

_PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
_MATCH_KEYS = {"SUBSYSTEM", "ACTION", "ATTRS", "ENV"}
_ASSIGN_KEYS = {"GROUP", "MODE", "TAG", "SYMLINK", "GOTO", "LABEL", "ENV"}


def _parse_rules(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    """Each rule line as (key, attribute, operator, value) pairs; fails on
    anything udev would not read the same way."""
    rules = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs, pos = [], 0
        while pos < len(line):
            m = _PAIR.match(line, pos)
            assert m, f"line {number}: cannot read {line[pos:]!r}"
            pairs.append(m.groups()[:4])
            pos = m.end()
        for key, _attr, op, _value in pairs:
            matching = op in ("==", "!=")
            assert key in (_MATCH_KEYS if matching else _ASSIGN_KEYS), f"line {number}: {key}{op}"
        rules.append(pairs)
    return rules


def _apply(rules, device: dict[str, str], attrs: dict[str, str]) -> dict[str, str]:
    """What the rules assign to a device, as udev evaluates them (matches, GOTO, LABEL)."""
    assigned: dict[str, str] = {}
    goto = None
    for pairs in rules:
        if goto is not None:
            if pairs[0][0] == "LABEL" and pairs[0][3] == goto:
                goto = None
            continue
        if pairs[0][0] == "LABEL":
            continue
        matched = True
        for key, attr, op, value in pairs:
            if op in ("==", "!="):
                actual = attrs.get(attr) if key == "ATTRS" else device.get(key)
                hit = actual is not None and re.fullmatch(
                    value.replace("*", ".*").replace("?", "."), actual) is not None
                matched = matched and (hit if op == "==" else not hit)
        if not matched:
            continue
        for key, _attr, op, value in pairs:
            if key == "GOTO":
                goto = value
            elif op not in ("==", "!="):
                assigned[key] = (assigned.get(key, "") + " " + value).strip() \
                    if op == "+=" else value
    assert goto is None, f"GOTO {goto} has no LABEL after it"
    return assigned


def test_the_udev_rule_is_what_link_ports_recognises():
    assert UDEV_RULE.read_text() == udev_rule_text(), "run tools/render-resources.py"


@pytest.mark.parametrize("vendor, product", STATION_CHIPS)
def test_the_udev_rule_gives_a_station_chip_group_access_and_a_stable_link(vendor, product):
    rules = _parse_rules(UDEV_RULE.read_text())
    assigned = _apply(rules, {"SUBSYSTEM": "tty", "ACTION": "add"},
                      {"idVendor": vendor, "idProduct": product})
    assert assigned == {"GROUP": "dialout", "MODE": "0660", "TAG": "uaccess",
                        "SYMLINK": "backstation-%n"}


@pytest.mark.parametrize("device, attrs", [
    ({"SUBSYSTEM": "tty", "ACTION": "add"}, {"idVendor": "046d", "idProduct": "c52b"}),
    ({"SUBSYSTEM": "usb", "ACTION": "add"}, {"idVendor": "2341", "idProduct": "0043"}),
    ({"SUBSYSTEM": "tty", "ACTION": "add"}, {}),
])
def test_the_udev_rule_leaves_other_devices_alone(device, attrs):
    assert _apply(_parse_rules(UDEV_RULE.read_text()), device, attrs) == {}


def test_udevadm_verify_accepts_the_rule():
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        pytest.skip("no udevadm here (no udev in this container); the rule's syntax is "
                    "checked by test_the_udev_rule_* instead")
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("udevadm has no verify (it came in systemd 254; Debian 12 has 252); the "
                    "rule's syntax is checked by test_the_udev_rule_* instead")
    _validate(udevadm, "verify", "--resolve-names=never", str(UDEV_RULE))


# -- package data -------------------------------------------------------------------

def test_every_resource_is_package_data():
    """`pip install .` ships what install-desktop and the app read: every file
    under resources/ is matched by pyproject's package-data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["backstation.resources"]
    files = [p.relative_to(FOLDER) for p in FOLDER.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"]
    assert len(files) >= 9
    unshipped = [f for f in files if not any(f.match(pattern) for pattern in patterns)]
    assert not unshipped, unshipped
