"""The desktop app (PySide6 + pyqtgraph): the only package, with its one acquisition
controller, that imports Qt (docs/design.md §5, STYLE habit 1)."""
