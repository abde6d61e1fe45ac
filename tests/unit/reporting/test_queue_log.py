"""Queue log lines in app_queue's format: every event with app_queue's parameter count
(Asterisk 16 apps/app_queue.c), values that cannot break a line, reading lines back."""

from __future__ import annotations

import pytest

from ccengine.reporting import queue_log as q

# each event function, its arguments, and the line app_queue would write for the same facts
CASES = [
    (q.enter_queue(1700000000.9, "1700000000.12", "sales", "", "07700900123", 2),
     "1700000000|1700000000.12|sales|NONE|ENTERQUEUE||07700900123|2"),
    (q.connect(1700000007, "1700000000.12", "sales", "alice", 7, "1700000004.13", 3),
     "1700000007|1700000000.12|sales|alice|CONNECT|7|1700000004.13|3"),
    (q.complete_caller(1700000030, "u1", "sales", "alice", 7, 23, 2),
     "1700000030|u1|sales|alice|COMPLETECALLER|7|23|2"),
    (q.complete_agent(1700000030, "u1", "sales", "alice", 7, 23, 2),
     "1700000030|u1|sales|alice|COMPLETEAGENT|7|23|2"),
    (q.abandon(1700000012, "u1", "sales", 1, 3, 12),
     "1700000012|u1|sales|NONE|ABANDON|1|3|12"),
    (q.exit_with_timeout(1700000300, "u1", "sales", 2, 4, 300),
     "1700000300|u1|sales|NONE|EXITWITHTIMEOUT|2|4|300"),
    (q.exit_with_key(1700000040, "u1", "sales", "2", 1, 1, 40),
     "1700000040|u1|sales|NONE|EXITWITHKEY|2|1|1|40"),
    (q.ring_no_answer(1700000005, "u1", "sales", "carol", 4012),
     "1700000005|u1|sales|carol|RINGNOANSWER|4012"),
    (q.ring_canceled(1700000005, "u1", "sales", "carol", 1500),
     "1700000005|u1|sales|carol|RINGCANCELED|1500"),
    (q.blind_transfer(1700000020, "u1", "sales", "alice", "bob", "agent", 7, 13, 1),
     "1700000020|u1|sales|alice|BLINDTRANSFER|bob|agent|7|13|1"),
    (q.attended_transfer(1700000020, "u1", "sales", "alice", "bridge-x", 7, 13, 1),
     "1700000020|u1|sales|alice|ATTENDEDTRANSFER|BRIDGE|bridge-x|7|13|1"),
    (q.agent_login(1700000000, "alice", "PJSIP/alice"),
     "1700000000|NONE|NONE|alice|AGENTLOGIN|PJSIP/alice"),
    (q.agent_logoff(1700003600, "alice", "PJSIP/alice", 3600),
     "1700003600|NONE|NONE|alice|AGENTLOGOFF|PJSIP/alice|3600"),
    (q.pause(1700000100, "sales", "alice", "lunch"),
     "1700000100|NONE|sales|alice|PAUSE|lunch"),
    (q.unpause(1700000200, "sales", "alice", "lunch"),
     "1700000200|NONE|sales|alice|UNPAUSE|lunch"),
    (q.pause_all(1700000100, "alice", "lunch"),
     "1700000100|NONE|NONE|alice|PAUSEALL|lunch"),
    (q.unpause_all(1700000200, "alice", ""),
     "1700000200|NONE|NONE|alice|UNPAUSEALL|"),
]


@pytest.mark.parametrize(("made", "expected"), CASES, ids=[c[1].split("|")[4] for c in CASES])
def test_given_each_event_when_formatted_then_app_queues_line_and_parameter_count(
        made: str, expected: str) -> None:
    assert made == expected
    line = q.parse(made)
    assert len(line.params) == len(q.PARAMETERS[line.event])


def test_every_event_has_a_function_tested() -> None:
    assert {q.parse(made).event for made, _ in CASES} == set(q.PARAMETERS)


@pytest.mark.parametrize(("event", "count"), [
    ("ENTERQUEUE", 3), ("CONNECT", 3), ("COMPLETECALLER", 3), ("COMPLETEAGENT", 3),
    ("ABANDON", 3), ("EXITWITHTIMEOUT", 3), ("EXITWITHKEY", 4), ("RINGNOANSWER", 1),
    ("RINGCANCELED", 1), ("BLINDTRANSFER", 5), ("ATTENDEDTRANSFER", 5), ("AGENTLOGIN", 1),
    ("AGENTLOGOFF", 2), ("PAUSE", 1), ("UNPAUSE", 1), ("PAUSEALL", 1), ("UNPAUSEALL", 1),
])
def test_parameter_counts_are_asterisk_16s(event: str, count: int) -> None:
    """As read in Asterisk 16's apps/app_queue.c (ast_queue_log format strings)."""
    assert len(q.PARAMETERS[event]) == count


def test_given_wrong_parameter_count_or_event_when_formatted_then_refused() -> None:
    with pytest.raises(ValueError, match="ABANDON takes 3 parameters"):
        q.line(1.0, "u1", "sales", "NONE", "ABANDON", 1, 2)
    with pytest.raises(ValueError, match="unknown queue_log event"):
        q.line(1.0, "u1", "sales", "NONE", "TRANSFER", "x", "y", 1, 2, 3)


def test_given_separators_or_line_breaks_in_values_when_formatted_then_one_line_same_fields(
        ) -> None:
    made = q.enter_queue(1.0, "chat-x", "sales", "chat", "Eve|Mallory\nline", 1)
    assert "\n" not in made
    line = q.parse(made)
    assert line.params == ("chat", "Eve_Mallory line", "1")


def test_given_missing_call_queue_or_agent_when_formatted_then_none() -> None:
    assert q.line(5.0, "", "", "", "PAUSEALL", "x") == "5|NONE|NONE|NONE|PAUSEALL|x"


def test_given_asterisk_lines_when_parsed_then_fields_and_params() -> None:
    line = q.parse("1700000000|NONE|NONE|NONE|QUEUESTART|\n")
    assert (line.epoch, line.callid, line.queue, line.agent, line.event, line.params) == (
        1700000000, "NONE", "NONE", "NONE", "QUEUESTART", ("",))
    with pytest.raises(ValueError):
        q.parse("garbage")
