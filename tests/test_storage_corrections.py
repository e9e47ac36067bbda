"""Schema v5: a coach's corrections of the judge's verdicts. The judged
sets and reps stay as stored; every reader gets the corrected result
(storage/corrections.py)."""

from __future__ import annotations

import sqlite3

import pytest

from backstation.storage import Database, RepRecord, SetRecord, StorageError
from backstation.storage.schema import MIGRATIONS
from backstation.verdicts import COACH_REASON


def _judged(db: Database) -> int:
    """A session with two sets, as the judge stored them: set 1 two valid reps
    and a no-contact one, set 2 one valid rep and one of unknown contact."""
    sid = db.create_session()
    verdicts = {1: [(True, None), (True, None), (False, "no_contact")], 2: [(True, None), (None, None)]}
    for set_index, reps in verdicts.items():
        valid = sum(1 for v, _ in reps if v is True)
        no = sum(1 for v, _ in reps if v is False)
        db.save_set(SetRecord(sid, set_index, "inverted-row", None, None, False,
                              set_index * 100_000_000, set_index * 100_000_000 + 30_000_000,
                              valid, no, {}))
        for k, (v, reason) in enumerate(reps, 1):
            t = set_index * 100_000_000 + k * 3_000_000
            db.save_rep(RepRecord(sid, set_index, k, v, reason, t, t + 2_500_000, 600.0 + k,
                                  5.0, {"rom_mm": 450.0}))
    return sid


def _verdicts(db, sid):
    return [(r.set_index, r.rep_index, r.valid, r.reason) for r in db.reps(sid)]


def _counts(db, sid):
    return [(s.set_index, s.valid_reps, s.no_reps, s.corrected) for s in db.sets(sid)]


def test_a_rep_overruled_to_a_no_rep_keeps_the_judges_verdict_beside_it(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        db.correct(sid, 1, 2, "no_rep")
        rep = db.reps(sid)[1]
        assert (rep.valid, rep.reason, rep.judged) == (False, COACH_REASON, (True, None))
        assert _counts(db, sid) == [(1, 1, 2, True), (2, 1, 0, False)]
        # the judged row itself is untouched (replay reproduces it)
        row = db._conn.execute("SELECT valid, reason FROM reps WHERE session_id = ? AND"
                               " set_index = 1 AND rep_index = 2", (sid,)).fetchone()
        assert tuple(row) == (1, None)


def test_a_no_rep_marked_valid_and_an_unknown_contact_marked_valid_count(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        db.correct(sid, 1, 3, "valid")
        db.correct(sid, 2, 2, "valid")
        reps = db.reps(sid)
        assert [(r.valid, r.reason, r.judged) for r in (reps[2], reps[4])] == [
            (True, None, (False, "no_contact")), (True, None, (None, None))]
        assert _counts(db, sid) == [(1, 3, 0, True), (2, 2, 0, True)]


def test_the_latest_correction_of_a_rep_decides_and_one_back_to_the_judge_changes_nothing(
        tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        db.correct(sid, 1, 1, "no_rep")
        db.correct(sid, 1, 1, "valid")          # back to what the judge said
        assert db.reps(sid)[0].judged is None
        assert _counts(db, sid)[0] == (1, 2, 1, False)


def test_deleting_a_rep_or_a_set_leaves_it_out_and_undo_brings_each_back(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        judged = _verdicts(db, sid)
        db.correct(sid, 1, 1, "delete")
        assert [(s, r) for s, r, *_ in _verdicts(db, sid)] == [(1, 2), (1, 3), (2, 1), (2, 2)]
        assert _counts(db, sid)[0] == (1, 1, 1, True)
        db.correct(sid, 2, None, "delete")
        assert [s for s, *_ in _counts(db, sid)] == [1]
        assert all(s == 1 for s, *_ in _verdicts(db, sid))
        undone = db.undo_correction(sid)
        assert (undone.set_index, undone.rep_index, undone.action) == (2, None, "delete")
        assert [s for s, *_ in _counts(db, sid)] == [1, 2]
        db.undo_correction(sid)
        assert _verdicts(db, sid) == judged and db.corrections(sid) == []
        assert db.undo_correction(sid) is None


def test_what_cannot_be_corrected_is_refused_and_nothing_is_stored(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        with pytest.raises(StorageError, match="no rep 1.9"):
            db.correct(sid, 1, 9, "valid")
        with pytest.raises(StorageError, match="no set 7"):
            db.correct(sid, 7, None, "delete")
        with pytest.raises(ValueError, match="only be deleted"):
            db.correct(sid, 1, None, "valid")
        with pytest.raises(ValueError, match="unknown correction"):
            db.correct(sid, 1, 1, "maybe")
        assert db.corrections(sid) == []


def test_deleting_a_session_deletes_its_corrections(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        db.correct(sid, 1, 1, "no_rep")
        db.delete_session(sid)
        assert db._conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_a_v4_database_is_upgraded_and_its_sessions_read_uncorrected(tmp_path):
    path = tmp_path / "v4.db"
    with Database(path, migrations=MIGRATIONS[:4]) as db:
        sid = _judged(db)
    judged = [(1, 1, True, None), (1, 2, True, None), (1, 3, False, "no_contact"),
              (2, 1, True, None), (2, 2, None, None)]
    with pytest.raises(StorageError, match="older Back Station"):
        Database(path, read_only=True)
    with Database(path) as db:
        assert _verdicts(db, sid) == judged and db.corrections(sid) == []
    with Database(path, read_only=True) as db:
        assert _verdicts(db, sid) == judged
    with pytest.raises(sqlite3.IntegrityError):     # the table refuses an unknown action
        conn = sqlite3.connect(path)
        conn.execute("INSERT INTO corrections (session_id, set_index, rep_index, action,"
                     " made_at) VALUES (?, 1, 1, 'maybe', 'now')", (sid,))


def test_upgrade_brings_an_older_database_up_so_readers_can_open_it(tmp_path):
    """The app upgrades its database at start: History and Progress open it
    read-only, which refuses an older schema."""
    from backstation.storage import OlderDatabase, upgrade
    path = tmp_path / "v4.db"
    assert upgrade(path) is False and not path.exists()       # none: nothing is created
    with Database(path, migrations=MIGRATIONS[:4]) as db:
        sid = _judged(db)
    with pytest.raises(OlderDatabase):
        Database(path, read_only=True)
    assert upgrade(path) is True
    with Database(path, read_only=True) as db:
        assert db.schema_version == len(MIGRATIONS) and len(db.reps(sid)) == 5
    assert upgrade(path) is False                             # up to date already


def test_the_writer_stores_corrections_after_the_reps_they_name_and_undoes_in_order(tmp_path):
    """A live session's corrections go through its writer: a rep and its
    correction in one flush; an undo and a new correction in the next; one
    naming a rep never stored is dropped (logged), never failing the flush."""
    from backstation.storage import SessionWriter
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session()
        writer = SessionWriter(db, sid)
        writer.add_set(SetRecord(sid, 1, "inverted-row", None, None, False, 0, None, 1, 0, {}))
        writer.add_rep(RepRecord(sid, 1, 1, True, None, 0, 2_000_000, 600.0, 5.0, {}))
        writer.add_correction(1, 1, "no_rep")
        writer.add_correction(1, 1, "delete")
        writer.undo_correction()                 # takes back the delete, not the no-rep
        writer.flush()
        assert [(c.rep_index, c.action) for c in db.corrections(sid)] == [(1, "no_rep")]
        writer.undo_correction()
        writer.add_correction(1, 1, "valid")
        writer.add_correction(1, 7, "valid")     # no rep 1.7: dropped, the flush holds
        writer.flush()
        assert [(c.rep_index, c.action) for c in db.corrections(sid)] == [(1, "valid")]
        with pytest.raises(ValueError):
            writer.add_correction(1, None, "valid")
        assert not writer.has_pending


def test_a_set_counts_a_rep_of_unknown_contact_as_neither_before_and_after_a_correction(
        tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = _judged(db)
        db.correct(sid, 1, 1, "no_rep")
        assert _counts(db, sid)[1] == (2, 1, 0, False)      # set 2: one valid, one unknown
        db.correct(sid, 2, 1, "no_rep")
        assert _counts(db, sid)[1] == (2, 0, 1, True)
