"""Where to look for a station that went away, and which ports to leave alone.

Order: the URL the user gave, then the port the device was last on, then
(for real ports only: ``sim://`` and other URLs cannot be enumerated) every
other port that looks like a station, so a board plugged back into another
USB socket is found. Opening a port resets an Uno, so a port that answered
with another station's id (or no HELLO) is not probed again until it
disappears and comes back, or ``retry_s`` has passed: we must not keep
rebooting someone else's board every half second.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from .ports import PortInfo


def is_enumerable(url: str) -> bool:
    """A device path (``/dev/ttyACM0``, ``COM3``), not a pyserial URL."""
    return "://" not in url


class ReconnectCandidates:
    def __init__(self, url: str, port_lister: Callable[[], list[PortInfo]], retry_s: float,
                 monotonic: Callable[[], float] = time.monotonic,
                 path_exists: Callable[[str], bool] = os.path.exists):
        self.url = url
        self._port_lister = port_lister
        self._retry_s = retry_s
        self._monotonic = monotonic
        self._path_exists = path_exists
        self._skip_until: dict[str, float] = {}

    def avoid(self, port: str) -> None:
        """``port`` holds something that is not our station: leave it alone for now."""
        self._skip_until[port] = self._monotonic() + self._retry_s

    def ports(self, last_port: str) -> list[str]:
        urls = [self.url]
        if last_port not in urls:
            urls.append(last_port)
        listed: set[str] = set()
        if is_enumerable(self.url):
            try:
                found = self._port_lister()
            except Exception:  # enumeration is best effort; the known ports are still tried
                found = []
            listed = {p.device for p in found}
            urls += [p.device for p in found if p.likely_station and p.device not in urls]
        now = self._monotonic()
        for port, until in list(self._skip_until.items()):
            vanished = (is_enumerable(port) and port not in listed
                        and not self._path_exists(port))
            if vanished or now >= until:
                del self._skip_until[port]
        return [u for u in urls if u not in self._skip_until]
