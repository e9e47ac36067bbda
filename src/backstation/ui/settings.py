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


# The team server (docs/team.md): a service name in the libpq service file,
# never a host or a credential. Unset or blank: no team server.
TEAM_SERVER_KEY = "team_server"


def team_server(settings: QSettings) -> str | None:
    """The configured team server's service name, or None; ValueError (its
    one line, without the value: it may hold a password) when the settings
    file holds something that is no service name."""
    try:
        return team_server_name(value(settings, TEAM_SERVER_KEY, ""))
    except ValueError:
        raise ValueError(f"No team server: {TEAM_SERVER_KEY} in {settings.fileName()} is not "
                         "a service name (Station > Team server…, docs/team.md)") from None


def team_server_name(text: str) -> str | None:
    """``text`` as a service name (None when blank); ValueError for anything
    that looks like a connection string, which could carry a password."""
    name = text.strip()
    if any(c.isspace() or c in "=/:@" for c in name):
        raise ValueError(f"{name!r} is not a service name: give the name of a section of "
                         "the libpq service file, like club (docs/team.md)")
    return name or None
