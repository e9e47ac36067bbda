"""What the app remembers between runs (QSettings): window geometry, the last
port, the plot window, units, athlete. Tests point QSettings at a temp dir."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "BackStation"
APPLICATION = "backstation"


def open_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)


def value(settings: QSettings, key: str, default, kind=str):
    raw = settings.value(key, default)
    if raw is None:
        return default
    try:
        if kind is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
        return kind(raw)
    except (TypeError, ValueError):
        return default
