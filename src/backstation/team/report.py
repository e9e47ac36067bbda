"""What ``sync`` says (team/upload.py): its report, a refused session, an
athlete the station and the team disagree on, and the counts' words, which
the app's upload status (ui/team_sync.py) uses too. No psycopg here: the app
loads this at start, psycopg only when a team server is used."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AthleteConflict:
    """The station and the team disagree on an athlete's body mass; the
    team's stays until a coach changes it (docs/team.md)."""

    name: str                       # as the team spells it
    station_kg: float
    team_kg: float | None

    def line(self) -> str:
        team = "none" if self.team_kg is None else f"{self.team_kg:g} kg"
        return (f"athlete {self.name}: body mass {self.station_kg:g} kg on this station, "
                f"{team} on the team server, which keeps its own until a coach sets it "
                "(docs/team.md)")


def conflicts_summary(count: int) -> str:
    """How many athletes the station and the team disagree on, in the words
    of sync's report and of the app's upload status."""
    return f"{count} athlete{' differs' if count == 1 else 's differ'} from the team"


@dataclass(frozen=True)
class RefusedSession:
    """A session the server refused for its data (a constraint, a value out
    of range): not uploaded, still pending on the station, tried again at
    the next sync; the sessions after it went up."""

    session_id: int
    reason: str                     # the server's first line

    def line(self) -> str:
        return (f"session {self.session_id} refused by the team server, kept on this station: "
                f"{self.reason}")


def sessions_text(count: int) -> str:
    """``1 session``, ``2 sessions``: the count's words in sync's report and the app's status."""
    return f"{count} session{'' if count == 1 else 's'}"


def refused_summary(count: int) -> str:
    """How many sessions the server refused, in the words of sync's report
    and of the app's upload status."""
    return f"{sessions_text(count)} refused by the server"


@dataclass
class SyncReport:
    server: str
    station: str
    uploaded: list[int] = field(default_factory=list)     # local session ids sent now
    already: list[int] = field(default_factory=list)      # the server had them already
    conflicts: list[AthleteConflict] = field(default_factory=list)
    refused: list[RefusedSession] = field(default_factory=list)

    def line(self) -> str:
        text = (f"sync to {self.server} (station {self.station}): "
                f"{sessions_text(len(self.uploaded))} uploaded, {len(self.already)} already there")
        if self.refused:
            text += f"; {refused_summary(len(self.refused))}"
        if self.conflicts:
            text += f"; {conflicts_summary(len(self.conflicts))}"
        return text

    def lines(self) -> list[str]:
        """The summary, then one line per refused session and per conflict."""
        return [self.line(), *(r.line() for r in self.refused),
                *(c.line() for c in self.conflicts)]
