"""Supervisors from config, supervision modes, and who may supervise which call."""

from __future__ import annotations

import pytest

from ccengine.core.errors import ConfigError
from ccengine.core.supervision import (
    BadMode,
    Mode,
    NotYourQueue,
    SupervisorProfile,
    build_supervisors,
    check_may_supervise,
    visible_queues,
)

QUEUES = ("sales", "support")


def supervisors() -> dict[str, SupervisorProfile]:
    return build_supervisors([{"id": "sam", "name": "Sam", "queues": ["sales"]},
                              {"id": "max", "queues": "*"}], "engine.yaml", QUEUES, ["alice"])


def test_given_supervisors_config_when_built_then_queues_and_default_name() -> None:
    sups = supervisors()
    assert sups["sam"] == SupervisorProfile("sam", "Sam", frozenset({"sales"}))
    assert sups["max"].name == "max" and sups["max"].queues == frozenset({"*"})
    assert sups["sam"].covers("sales") and not sups["sam"].covers("support")
    assert not sups["sam"].covers(None)
    assert sups["max"].covers("support")


@pytest.mark.parametrize(("item", "key", "message"), [
    ({"id": "sam", "queues": ["billing"]}, "queues", "no queue 'billing'"),
    ({"id": "sam", "queues": []}, "queues", "non-empty list"),
    ({"id": "sam"}, "queues", "non-empty list"),
    ({"id": "sam", "queues": "sales"}, "queues", "non-empty list"),
    ({"id": "s m", "queues": ["sales"]}, "id", "SIP user name"),
    ({"queues": ["sales"]}, "id", "required"),
    ({"id": "sam", "queues": ["sales"], "phone": 1}, "phone", "must be one of webrtc, sip"),
    ({"id": "sam", "queues": ["sales"], "colour": 1}, "colour", "unknown key"),
    ({"id": "alice", "queues": ["sales"]}, "id", "already an agent's id"),
    ({"id": "admin", "queues": ["sales"]}, "id", "reserved"),
])
def test_given_a_bad_supervisor_when_built_then_config_error_names_item_and_key(
        item: dict, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        build_supervisors([item], "engine.yaml", QUEUES, ["alice"])
    assert e.value.where == "engine.yaml: supervisors[0]"
    assert e.value.key == key
    assert message in e.value.message


def test_given_the_same_id_twice_when_built_then_refused() -> None:
    with pytest.raises(ConfigError, match="supervisors\\[1\\]: id: 'sam' is used twice"):
        build_supervisors([{"id": "sam", "queues": ["sales"]},
                           {"id": "sam", "queues": ["support"]}], "engine.yaml", QUEUES, [])


def test_given_mode_names_when_parsed_then_modes_or_bad_mode() -> None:
    assert [Mode.parse(m) for m in ("monitor", "whisper", "barge")] == list(Mode)
    for bad in ("shout", None, 3, ""):
        with pytest.raises(BadMode, match="monitor, whisper, barge"):
            Mode.parse(bad)


def test_given_roles_when_checking_who_may_supervise_then_queue_supervisors_and_admins() -> None:
    sups = supervisors()
    check_may_supervise("admin", "admin", "support", sups)
    check_may_supervise("supervisor", "sam", "sales", sups)
    check_may_supervise("supervisor", "max", "support", sups)
    for role, user, queue in [("supervisor", "sam", "support"), ("agent", "alice", "sales"),
                              ("supervisor", "nobody", "sales"), ("agent", "sam", "sales")]:
        with pytest.raises(NotYourQueue) as e:
            check_may_supervise(role, user, queue, sups)
        assert e.value.code == "forbidden"


def test_given_roles_when_listing_live_calls_then_queue_scope() -> None:
    sups = supervisors()
    assert visible_queues("supervisor", "sam", sups) == frozenset({"sales"})
    assert visible_queues("supervisor", "max", sups) is None
    assert visible_queues("admin", "admin", sups) is None
    with pytest.raises(NotYourQueue):
        visible_queues("agent", "alice", sups)
