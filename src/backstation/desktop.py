"""A desktop install for one user (``backstation install-desktop``), and the
udev rule root installs for the station's USB port. Plain Python, no Qt.

``install_desktop`` copies the launcher (its ``Exec`` pointed at this
installation's ``backstation``), the icons and the AppStream metainfo from
``resources/`` into the user's data folder (``$XDG_DATA_HOME``, by default
``~/.local/share``), where desktops look. It never runs sudo: the udev rule
is root's to install, so ``udev_install_command`` is the one line to give root.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from .link.ports import ANY_PRODUCT_VIDS, KNOWN_USB_IDS
from .resources import (APP_ID, DESKTOP_FILE, FOLDER, ICON_SIZES_PX, ICON_SVG, METAINFO_FILE,
                        UDEV_RULE, icon_png)

UDEV_RULES_DIR = "/etc/udev/rules.d"
# The group Debian and Raspberry Pi OS give serial ports (the dialout hint of link.errors).
SERIAL_GROUP = "dialout"


def data_home() -> Path:
    """Where a user's desktop files go: ``$XDG_DATA_HOME``, else ``~/.local/share``."""
    configured = os.environ.get("XDG_DATA_HOME", "")
    return Path(configured) if os.path.isabs(configured) else Path.home() / ".local" / "share"


def launcher_command() -> list[str]:
    """How a launcher starts this installation: its ``backstation`` script when
    that is what runs (a venv's bin/ need not be on a desktop's PATH), else
    this Python with ``-m backstation``."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "backstation" and script.is_file():
        return [str(script)]
    # Not resolved: a venv's python is a symlink, and the venv is in its path.
    return [str(Path(sys.executable).absolute()), "-m", "backstation"]


def desktop_exec(argv: list[str]) -> str:
    """``argv`` as a desktop entry's Exec value (the Desktop Entry spec's
    quoting: double quotes around an argument with reserved characters, and
    ``\\``, ``"``, `````, ``$`` escaped inside them; ``%`` doubled)."""
    def quote(arg: str) -> str:
        arg = arg.replace("%", "%%")
        if not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`'):
            return arg
        return '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return " ".join(quote(a) for a in argv)


def install_desktop(target: Path, argv: list[str]) -> list[Path]:
    """Copy the launcher (Exec = ``argv``), icons and metainfo under ``target``
    (a data folder: ``applications/``, ``icons/hicolor/``, ``metainfo/``);
    returns the files written. ``OSError`` if a folder cannot be written."""
    written = []
    launcher = target / "applications" / DESKTOP_FILE.name
    text = DESKTOP_FILE.read_text(encoding="utf-8")
    lines = [f"Exec={desktop_exec(argv)}" if line.startswith("Exec=") else line
             for line in text.splitlines()]
    launcher.parent.mkdir(parents=True, exist_ok=True)
    launcher.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(launcher)
    for source in (ICON_SVG, *(icon_png(size) for size in ICON_SIZES_PX), METAINFO_FILE):
        destination = target / source.relative_to(FOLDER)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        written.append(destination)
    return written


def udev_install_command(rule: Path = UDEV_RULE, *, as_root: bool | None = None) -> str:
    """The one command that installs the udev rule and applies it to a station
    already plugged in: through sudo, unless this is root already."""
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    sudo = "" if as_root else "sudo "
    return (f"{sudo}install -m 0644 {shlex.quote(str(rule))} {UDEV_RULES_DIR}/ && "
            f"{sudo}udevadm control --reload && {sudo}udevadm trigger --subsystem-match=tty")


def udev_rule_text() -> str:
    """resources/udev/70-backstation.rules, from the USB ids ``link.ports``
    recognises as a station: every product of ANY_PRODUCT_VIDS, and each
    other (vendor, product) pair. udev takes comments on lines of their own only."""
    chips = []
    for vid in ANY_PRODUCT_VIDS:
        chips += [f"# any board of USB vendor {vid:04x}",
                  f'ATTRS{{idVendor}}=="{vid:04x}", GOTO="backstation_station"']
    for (vid, pid), (label, _rank) in KNOWN_USB_IDS.items():
        if vid not in ANY_PRODUCT_VIDS:
            chips += [f"# {label}",
                      f'ATTRS{{idVendor}}=="{vid:04x}", ATTRS{{idProduct}}=="{pid:04x}", '
                      'GOTO="backstation_station"']
    lines = [
        "# Back Station: the station's USB serial port, for its users and by a stable name.",
        "# Written by tools/render-resources.py from the USB ids src/backstation/link/ports.py",
        "# recognises. Installed by root: `backstation install-desktop` prints the command.",
        "#",
        f"# Group {SERIAL_GROUP} may read and write the port (MODE 0660), so may the desktop's",
        "# logged-in user (uaccess: the rule's number is below 73), and it is also",
        "# /dev/backstation-N (N: the kernel's number, 0 for ttyACM0 or ttyUSB0).",
        'SUBSYSTEM!="tty", GOTO="backstation_end"',
        'ACTION=="remove", GOTO="backstation_end"',
        *chips,
        'GOTO="backstation_end"',
        "",
        'LABEL="backstation_station"',
        f'GROUP="{SERIAL_GROUP}", MODE="0660", TAG+="uaccess", SYMLINK+="backstation-%n"',
        "",
        'LABEL="backstation_end"',
    ]
    return "\n".join(lines) + "\n"
