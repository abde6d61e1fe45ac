"""Next-best-action rules: validated at load with file, line and key; matched by a pure
function."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.config import load_config
from ccengine.core.errors import ConfigError
from ccengine.nba.rules import Facts, load_rules, prompts
from ccengine.settings import Settings

REPO = Path(__file__).resolve().parents[3]
RULES = [
    {"name": "keep_key_account", "when": {"intent": "cancel", "tier": "key_account"},
     "prompt": "Offer the loyalty discount", "article": "loyalty-discount"},
    {"name": "plan_help", "when": {"intent": ["cancel", "plan_change"]},
     "prompt": "Article: changing your plan"},
    {"name": "vip_billing", "when": {"recent_intent": "billing",
                                     "attributes": {"segment": "vip"}},
     "prompt": "Check the last invoice first"},
]


def test_given_key_account_with_cancel_intent_then_both_rules_fire_in_order() -> None:
    rules = load_rules(RULES, "test", ("cancel", "plan_change", "billing"))
    fired = prompts(rules, Facts(intent="cancel", tier="key_account"))
    assert [(p["rule"], p["article"]) for p in fired] == [
        ("keep_key_account", "loyalty-discount"), ("plan_help", None)]
    assert [p["rule"] for p in prompts(rules, Facts(intent="cancel", tier="standard"))] \
        == ["plan_help"]
    assert prompts(rules, Facts(intent=None, tier="key_account")) == []
    vip = Facts(recent_intents=["billing"], attributes={"segment": "vip"})
    assert [p["rule"] for p in prompts(rules, vip)] == ["vip_billing"]
    assert prompts(rules, Facts(recent_intents=["billing"])) == []


@pytest.mark.parametrize(("rules", "key", "says"), [
    ([{"name": "x", "when": {"intent": "refund"}, "prompt": "p"}],
     "next_best_action[0].when.intent", "no intent 'refund'"),
    ([{"name": "Bad Name", "prompt": "p"}], "next_best_action[0].name", "lower-case"),
    ([{"name": "x"}], "next_best_action[0].prompt", "is required"),
    ([{"name": "x", "prompt": "p", "when": {"weather": "rain"}}],
     "next_best_action[0].when.weather", "unknown key"),
    ([{"name": "x", "prompt": "p"}, {"name": "x", "prompt": "q"}],
     "next_best_action[1].name", "another rule"),
    ([{"name": "x", "prompt": "p", "when": {"attributes": {"a": [1]}}}],
     "next_best_action[0].when.attributes", "plain values"),
    ({"name": "x"}, "next_best_action", "list of rules"),
])
def test_given_broken_rules_when_loaded_then_refused_naming_the_key(
        rules: object, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_rules(rules, "test", ("cancel",))
    assert e.value.key == key and says in e.value.message


def test_given_broken_rule_in_a_config_file_then_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "engine.yaml"
    config.write_text(
        f"ivr: {{dir: {REPO / 'ivr'}}}\n"
        "intents:\n"
        "  definitions:\n"
        "    - name: cancel\n"
        "      examples: [a, b, c, d, e]\n"
        "next_best_action:\n"
        "  - name: keep\n"
        "    prompt: Offer the discount\n"
        "    when:\n"
        "      intent: refund\n")
    with pytest.raises(ConfigError) as e:
        Settings.load(load_config(config, env={}))
    assert str(e.value).startswith(f"{config}:10: next_best_action[0].when.intent: "), \
        e.value
