"""Schema v4: globally unique ids for sessions and athletes, and the record of
which finished session went to which team server (storage/outbox.py)."""

from __future__ import annotations

import sqlite3
import uuid

from backstation.storage import MIGRATIONS, Database


def test_upgrade_to_v4_gives_every_existing_session_and_athlete_its_own_uid(tmp_path):
    path = tmp_path / "v3.db"
    with Database(path, migrations=MIGRATIONS[:3]) as db:
        anna = db.get_or_create_athlete("Anna", 61.0)
        db.get_or_create_athlete("Ben")
        for _ in range(3):
            sid = db.create_session(athlete=anna)
            db.finish_session(sid)
    with Database(path) as db:
        sessions = db.list_sessions()
        athletes = db.list_athletes()
    uids = [s.uid for s in sessions] + [a.uid for a in athletes]
    assert len(set(uids)) == 5
    assert all(str(uuid.UUID(u)) == u for u in uids)


def test_new_sessions_and_athletes_get_a_uid_that_is_unique(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session(athlete=db.get_or_create_athlete("Anna"))
        uid = db.get_session(sid).uid
        assert uuid.UUID(uid)
        assert db.get_athlete("Anna").uid
        try:
            db._conn.execute("INSERT INTO sessions (started_at, uid) VALUES ('x', ?)", (uid,))
        except sqlite3.IntegrityError:
            pass
        else:
            raise AssertionError("a second session with the same uid was stored")


def test_a_session_is_pending_for_a_server_until_marked_uploaded_there(tmp_path):
    with Database(tmp_path / "s.db") as db:
        open_sid = db.create_session()                # still recording: not pending
        done = db.create_session()
        db.finish_session(done)
        assert db.pending_uploads("team") == [done]
        db.mark_uploaded(done, "team")
        db.mark_uploaded(done, "team")                # twice changes nothing
        assert db.pending_uploads("team") == []
        assert db.pending_uploads("other") == [done]
        assert db.uploaded_to(done) == ["team"]
        assert open_sid not in db.pending_uploads("other")
