"""A queue's wallboard thresholds: optional, the service level defaulting to the queue's
target, and a clear error for anything else."""

from __future__ import annotations

import pytest

from ccengine.config import ConfigError
from ccengine.core.queue import QueueConfig


def test_given_no_thresholds_then_only_the_queues_service_level_target() -> None:
    q = QueueConfig.from_mapping({"name": "sales", "sl_percent": 90}, "c.yaml: queues[0]")
    assert q.thresholds == {"service_level": 90}


def test_given_thresholds_then_kept() -> None:
    q = QueueConfig.from_mapping({"name": "sales", "thresholds": {
        "waiting": 5, "longest_wait_seconds": 60, "service_level": 75}}, "q")
    assert q.thresholds == {"waiting": 5, "longest_wait_seconds": 60, "service_level": 75}


@pytest.mark.parametrize(("thresholds", "message"), [
    ({"colour": 1}, "unknown key"),
    ({"waiting": -1}, "waiting"),
    ({"service_level": 120}, "at most 100"),
    ([5], "must be a mapping"),
])
def test_given_bad_thresholds_then_a_clear_error(thresholds: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        QueueConfig.from_mapping({"name": "sales", "thresholds": thresholds}, "q")
