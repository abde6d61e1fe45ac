"""Which agents' phones a PJSIPShowContacts reply says are reachable (the AMI monitor's
resynchronisation after it connects again)."""

from __future__ import annotations

from ccengine.telephony.ami import reachable_aors


def contact(aor: str, status: str) -> dict[str, str]:
    # as Asterisk 16 sends it: no Aor field, the AOR in the contact's ObjectName
    return {"Event": "ContactList", "ObjectType": "contact", "Endpoint": aor,
            "ObjectName": f"{aor};@8f28e1f7702f0a3e484ede3251692533", "Status": status}


def test_given_asterisk_16_contact_events_when_read_then_each_aor_and_its_reachability() -> None:
    reply = [{"Response": "Success", "EventList": "start"},
             contact("alice", "Reachable"), contact("bob", "Unreachable"),
             contact("sam", "Unknown"), contact("bob", "NonQualified"),
             {"Event": "ContactListComplete", "EventList": "Complete", "ListItems": "4"}]
    assert reachable_aors(reply) == {"alice": True, "bob": True, "sam": True}


def test_given_only_unreachable_contacts_or_none_when_read_then_so_reported() -> None:
    assert reachable_aors([contact("bob", "Unreachable")]) == {"bob": False}
    assert reachable_aors([{"Response": "Error", "Message": "No Contacts found"}]) == {}
    assert reachable_aors([{"Event": "ContactList", "Aor": "carol",
                            "Status": "Reachable"}]) == {"carol": True}
