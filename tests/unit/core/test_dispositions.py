"""Dispositions as data: a default list, a queue's own list replacing it, free text when
nothing is configured; bad config names the key."""

from __future__ import annotations

import pytest

from ccengine.config import load_config
from ccengine.core.dispositions import Dispositions, InvalidDisposition
from ccengine.core.errors import ConfigError

QUEUES = ("sales", "support")


def test_given_default_and_queue_lists_when_checked_then_queue_list_replaces_default() -> None:
    d = Dispositions.from_config({"default": ["resolved", "sale"],
                                  "queues": {"support": ["fixed"]}}, "engine.yaml", QUEUES)
    assert d.allowed("sales") == ("resolved", "sale")
    assert d.allowed(None) == ("resolved", "sale")
    assert d.allowed("support") == ("fixed",)
    assert d.check("sales", "sale") == "sale"
    assert d.check("support", "fixed") == "fixed"
    with pytest.raises(InvalidDisposition, match="one of fixed") as err:
        d.check("support", "sale")
    assert err.value.code == "bad_disposition"


def test_given_no_section_when_checked_then_any_short_text() -> None:
    d = Dispositions.from_config(None, "engine.yaml", QUEUES)
    assert d.allowed("sales") is None
    assert d.check("sales", "called back, happy") == "called back, happy"
    for bad in ("", "  ", "x" * 101, 7, None, "a\x00"):
        with pytest.raises(InvalidDisposition):
            d.check("sales", bad)


def test_given_only_queue_lists_when_other_queue_then_free_text() -> None:
    d = Dispositions.from_config({"queues": {"support": ["fixed"]}}, "e.yaml", QUEUES)
    assert d.allowed("sales") is None and d.check("sales", "anything") == "anything"


@pytest.mark.parametrize(("section", "key", "message"), [
    ([], "dispositions", "mapping"),
    ({"defaults": ["a"]}, "dispositions.defaults", "unknown key"),
    ({"default": []}, "dispositions.default", "non-empty list"),
    ({"default": "sale"}, "dispositions.default", "non-empty list"),
    ({"default": ["ok", ""]}, "dispositions.default[1]", "1-100"),
    ({"default": ["ok", 3]}, "dispositions.default[1]", "1-100"),
    ({"default": ["ok", "ok"]}, "dispositions.default", "more than once"),
    ({"queues": ["sales"]}, "dispositions.queues", "map queue names"),
    ({"queues": {"billing": ["ok"]}}, "dispositions.queues.billing", "no such queue"),
    ({"queues": {"sales": ["x" * 101]}}, "dispositions.queues.sales[0]", "1-100"),
])
def test_given_bad_section_when_loaded_then_config_error_names_key(
        section: object, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        Dispositions.from_config(section, "engine.yaml", QUEUES)
    assert (err.value.where, err.value.key) == ("engine.yaml", key)
    assert message in err.value.message


def test_given_dispositions_section_in_config_file_when_loaded_then_accepted(
        tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "engine.yaml"
    path.write_text("dispositions:\n  default: [resolved, sale]\n"
                    "  queues: {support: [fixed]}\n")
    config = load_config(path, env={})
    d = Dispositions.from_config(config.raw.get("dispositions"), config.source,
                                 [q["name"] for q in config.queues])
    assert d.allowed("support") == ("fixed",)
