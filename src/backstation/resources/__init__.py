"""What a desktop install needs beside the code, shipped inside the package
(pyproject's package-data), laid out as under ``$XDG_DATA_HOME``:

- ``applications/ID.desktop``: the launcher;
- ``icons/hicolor/scalable/apps/ID.svg``, and ``icons/hicolor/NxN/apps/ID.png``
  for N in ``ICON_SIZES_PX``, rendered from the SVG by tools/render-resources.py;
- ``metainfo/ID.metainfo.xml``: AppStream metainfo (software centres);
- ``sounds/``: the rep cues the app plays (``ui/audio.py``'s recipe, written
  by tools/render-resources.py);
- ``udev/70-backstation.rules``: group access and a ``/dev/backstation-N``
  link for the station's USB-serial chips (``desktop.udev_rule_text``,
  from ``link.ports``), installed by root.

``backstation install-desktop`` (``desktop.py``) copies the first three into
the user's data folder. Plain Python, no Qt.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
APP_ID = "io.github.backstation.BackStation"
ICON_SIZES_PX = (48, 128, 256)

DESKTOP_FILE = FOLDER / "applications" / f"{APP_ID}.desktop"
METAINFO_FILE = FOLDER / "metainfo" / f"{APP_ID}.metainfo.xml"
ICON_SVG = FOLDER / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
SOUNDS_FOLDER = FOLDER / "sounds"
UDEV_RULE = FOLDER / "udev" / "70-backstation.rules"


def icon_png(size_px: int) -> Path:
    return FOLDER / "icons" / "hicolor" / f"{size_px}x{size_px}" / "apps" / f"{APP_ID}.png"
