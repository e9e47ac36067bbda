"""The roster in the app (issue 13, item 1), through the real controller on the
simulated station: athletes picked or typed while connected, another athlete
stepping up between sets (a new session on the same link, no reconnect),
refused during a set or for a typo of a roster name; the roster dialog; a
session filed under another athlete from History."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from backstation.device.sim import protocol_sim
from backstation.storage import Database
from backstation.ui.acquisition import CHANGE_ATHLETE_IN_SET
from backstation.ui.roster import COLUMNS

WAIT_MS = 30_000


@pytest.fixture(autouse=True)
def forget_stations():
    yield
    protocol_sim.clear_registry()


def choose(qtbot, window, name: str) -> None:
    """Type a name into the athlete box and press Enter, as a coach does."""
    edit = window.live.connection.athlete_box.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, name)
    qtbot.keyClick(edit, Qt.Key_Return)


def toast(window) -> str:
    return window.toast.text() if window.toast.isVisible() else ""


def alex_and_ben(window) -> None:
    """Alex (72 kg) and Ben (88.5 kg) on the roster, offered in the Athlete box."""
    with Database(window.db_path) as db:
        db.add_athlete("Alex", body_mass_kg=72)
        db.add_athlete("Ben", body_mass_kg=88.5)
    window.refresh_roster()


def test_another_athlete_steps_up_between_sets_without_reconnecting(qtbot, main_window):
    window = main_window
    alex_and_ben(window)
    panel = window.live.connection
    assert [panel.athlete_box.itemText(i) for i in range(panel.athlete_box.count())] == [
        "Alex", "Ben"]
    panel.athlete_box.setCurrentIndex(0)
    panel.athlete_box.activated.emit(0)
    assert panel.body_mass_kg == 72                          # the roster's, remembered
    ended, connects = [], []
    window.controller.set_ended.connect(ended.append)
    window.controller.connection_started.connect(connects.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=20)
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=WAIT_MS)
    alex_session = window.controller.session.session_id
    assert window.live.counter.count_text == "8"

    with qtbot.waitSignal(window.controller.athlete_changed, timeout=WAIT_MS) as saved:
        choose(qtbot, window, "ben")
    assert saved.args[0]["session_id"] == alex_session
    session = window.controller.session
    assert (session.athlete, session.body_mass_kg) == ("Ben", 88.5)   # completed from the roster
    assert session.session_id != alex_session and len(connects) == 1   # the same link
    assert window.live.counter.count_text == "0"             # Ben's session counts from nothing
    assert f"Session {alex_session} saved; now recording Ben" in toast(window)
    assert panel.body_mass_kg == 88.5

    # The scenario goes on: its next set is Ben's, judged with the carried calibration.
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=WAIT_MS)
    assert ended[1].valid_reps == 8 and window.live.counter.count_text == "8"
    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS):
        window.controller.disconnect()
    with Database(window.db_path) as db:
        by_name = {s.athlete_name: s for s in db.list_sessions()}
        assert set(by_name) == {"Alex", "Ben"}
        assert [s.valid_reps for s in db.sets(by_name["Alex"].id)] == [8]
        assert [s.valid_reps for s in db.sets(by_name["Ben"].id)] == [8]
        assert by_name["Ben"].body_mass_kg == 88.5


def test_the_athlete_cannot_change_during_a_set_or_to_a_typo(qtbot, main_window):
    window = main_window
    with Database(window.db_path) as db:
        db.add_athlete("Alex", body_mass_kg=72)
    window.refresh_roster()
    window.live.connection.set_athlete("Alex", 72)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=20)
    session_id = window.controller.session.session_id

    choose(qtbot, window, "Alx")
    assert "no athlete called 'Alx' on the roster; did you mean 'Alex'?" in toast(window)
    assert window.live.connection.athlete == "Alex"           # shown as it is again
    with qtbot.waitSignal(window.controller.set_started, timeout=WAIT_MS):
        pass
    choose(qtbot, window, "Zoe")
    assert toast(window) == CHANGE_ATHLETE_IN_SET
    assert window.live.connection.athlete == "Alex"
    assert window.controller.session.session_id == session_id
    with Database(window.db_path) as db:
        assert db.get_athlete("Zoe") is None


def test_the_roster_dialog_adds_and_edits_athletes_and_refuses_in_one_line(qtbot, main_window):
    window = main_window
    window.live.connection.set_athlete("Ben")
    dialog = window.open_roster()
    assert dialog.add_athlete("Alex") and dialog.add_athlete("Ben")
    assert not dialog.add_athlete("alex")
    assert dialog.status.text() == "'alex' is already on the roster"
    assert dialog.table.rowCount() == 2
    mass = dialog.table.item(0, 1)
    mass.setText("7")                        # as a coach types in the cell
    assert "body mass must be between 20 and 300 kg" in dialog.status.text()
    assert dialog.table.item(0, 1).text() == ""              # the stored value again
    dialog.table.item(0, 1).setText("73,5")
    notes = [field for _t, field, _u in COLUMNS].index("notes")
    dialog.table.item(1, notes).setText("left shoulder: no overhead")
    dialog.table.item(1, 0).setText("Benjamin")
    with Database(window.db_path) as db:
        assert [(a.name, a.body_mass_kg, a.notes) for a in db.list_athletes()] == [
            ("Alex", 73.5, None), ("Benjamin", None, "left shoulder: no overhead")]
    box = window.live.connection.athlete_box
    assert [box.itemText(i) for i in range(box.count())] == ["Alex", "Benjamin"]
    assert window.live.connection.athlete == "Benjamin"        # the box follows the rename
    assert not dialog.measure_squeeze(0)                   # no shrug recorded: nothing to measure
    assert "fewer than 3 good mid-back shrugs recorded" in dialog.status.text()
    dialog.close()


def test_passing_over_names_or_editing_the_body_mass_never_splits_the_session(qtbot,
                                                                              main_window):
    """An arrow key or the wheel over the athlete box changes nobody; a new
    body mass for the same athlete is the roster's for the next session; a mass
    no person has is refused in one line. The session recording stays."""
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtWidgets import QApplication
    window = main_window
    alex_and_ben(window)
    panel = window.live.connection
    panel.set_athlete("Alex", 72)
    changed = []
    window.controller.athlete_changed.connect(changed.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=1)
    session_id = window.controller.session.session_id
    box = panel.athlete_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key_Down)
    QApplication.sendEvent(box, QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0),
                                            QPoint(0, -120), Qt.NoButton, Qt.NoModifier,
                                            Qt.ScrollPhase.NoScrollPhase, False))
    assert panel.athlete == "Alex" and not changed
    panel.body_mass.setValue(74.5)
    panel.body_mass.editingFinished.emit()
    assert "Alex: 74.5 kg from the next session (this one keeps 72 kg)" in toast(window)
    with Database(window.db_path) as db:
        assert db.get_athlete("Alex").body_mass_kg == 74.5
    panel.set_athlete("Alex", 72)
    choose(qtbot, window, "Zed")                    # new: no body mass of anybody else's
    qtbot.waitUntil(lambda: len(changed) == 1, timeout=WAIT_MS)
    assert window.controller.session.body_mass_kg is None
    panel.body_mass.setValue(5)                     # a typo: no person weighs 5 kg
    choose(qtbot, window, "Ben")
    qtbot.waitUntil(lambda: len(changed) == 2, timeout=WAIT_MS)
    assert window.controller.session.body_mass_kg == 88.5       # the roster's, not the typo
    assert window.controller.session.session_id != session_id
    with Database(window.db_path) as db:
        assert db.get_athlete("Zed").body_mass_kg is None


def test_a_body_mass_no_person_has_is_refused_and_recording_goes_on(qtbot, main_window):
    window = main_window
    window.live.connection.set_athlete("Alex", 72)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=1)
    session_id = window.controller.session.session_id
    assert window.controller.change_athlete("Ben", 5.0) == (
        "body mass must be between 20 and 300 kg, not 5")
    assert window.controller.is_connected
    assert window.controller.session.session_id == session_id
