"""What a control sentence means, decided apart from any port or thread
(link/dispatch.py): the link's transport only applies the reaction."""

from __future__ import annotations

from backstation.link.dispatch import START_RESEND_INTERVAL_S, SentenceDispatch
from backstation.link.events import DeviceRebooted, LinkState
from backstation.link.replies import PendingCommand
from backstation.link.state import HelloAsker
from backstation.protocol.health import StationHealth
from backstation.protocol.sentences import Ack, Err, Hello

HELLO = Hello(1, "fake-1.0", "0000BEEF", 2, 80, "hcsr04")


def react(dispatch, sentence, *, now_s=100.0, pending=None, asker=None, wanted=True,
          rebooted=False):
    return dispatch.react(sentence, t_host_s=1.0, now_s=now_s, pending=pending,
                          hello_asker=asker, health=StationHealth(), streaming_wanted=wanted,
                          rebooted=rebooted, last_t_device_us=None)


def test_an_unasked_hello_while_streaming_sends_start_again_at_most_once_a_second():
    dispatch = SentenceDispatch()
    first = react(dispatch, HELLO, rebooted=True)
    assert first.send_start and [type(e) for e in first.events] == [DeviceRebooted]
    assert not react(dispatch, HELLO, now_s=100.0 + START_RESEND_INTERVAL_S / 2).send_start
    assert react(dispatch, HELLO, now_s=100.0 + START_RESEND_INTERVAL_S).send_start
    assert not react(SentenceDispatch(), HELLO, wanted=False).send_start


def test_an_asked_for_hello_is_neither_a_reboot_nor_a_reason_to_start_again():
    for asker in (HelloAsker.PROBE, HelloAsker.READER):
        reaction = react(SentenceDispatch(), HELLO, asker=asker, rebooted=True)
        assert not reaction.send_start and not reaction.events
        assert reaction.health == StationHealth.from_hello(HELLO)
    info = PendingCommand("INFO")
    answer = react(SentenceDispatch(), HELLO, pending=info, asker=HelloAsker.COMMAND)
    assert answer.answers_command and not answer.send_start


def test_an_err_answers_its_command_and_an_unrelated_one_is_a_complaint():
    tare = PendingCommand("TARE")
    assert react(SentenceDispatch(), Err("TARE", "busy"), pending=tare).answers_command
    other = react(SentenceDispatch(), Err("RATE", "bad_arg"), pending=tare)
    assert not other.answers_command and other.complaint[0] == "ERR,RATE"


def test_acks_of_start_and_stop_set_the_state():
    assert react(SentenceDispatch(), Ack("START")).state is LinkState.STREAMING
    assert react(SentenceDispatch(), Ack("STOP")).state is LinkState.IDLE
    assert react(SentenceDispatch(), Ack("PING")).state is None
