"""Write the generated files of src/backstation/resources/ (commit them after):

- the icon's PNGs (48, 128 and 256 px) from its SVG, drawn by Qt's SVG renderer
  (QSvgRenderer), so every size is the same drawing;
- the rep cues' WAVs from ``ui/audio.py``'s recipe (CUE_TONES);
- the udev rule from the USB ids ``link/ports.py`` recognises
  (``desktop.udev_rule_text``).

    .venv/bin/python tools/render-resources.py

tests/test_desktop_install.py checks the committed files are what this writes
(the PNGs' sizes, the WAVs' samples, the rule's text).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

from backstation.desktop import udev_rule_text  # noqa: E402
from backstation.resources import (ICON_SIZES_PX, ICON_SVG, SOUNDS_FOLDER, UDEV_RULE,  # noqa: E402
                                   icon_png)
from backstation.ui.audio import write_cue_files  # noqa: E402


def render_icon(size_px: int) -> None:
    renderer = QSvgRenderer(str(ICON_SVG))
    if not renderer.isValid():
        raise SystemExit(f"render-resources: {ICON_SVG} is not an SVG Qt can draw")
    image = QImage(size_px, size_px, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    path = icon_png(size_px)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise SystemExit(f"render-resources: cannot write {path}")
    print(path)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    for size_px in ICON_SIZES_PX:
        render_icon(size_px)
    for path in write_cue_files(SOUNDS_FOLDER).values():
        print(path)
    UDEV_RULE.parent.mkdir(parents=True, exist_ok=True)
    UDEV_RULE.write_text(udev_rule_text(), encoding="utf-8")
    print(UDEV_RULE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
