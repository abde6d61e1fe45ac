"""Consent and the do-not-call list over HTTP (ccengine/api/consent.py) on both stores:
who may read and record a customer's consent, what is kept, and the do-not-call list's
checks, additions, removals and CSV import with its line-numbered refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ccengine.store.db import Database
from tests.integration.store.customer_api_rig import CustomerApi, customer_api


@pytest.fixture
async def api(db: Database) -> AsyncIterator[CustomerApi]:
    async for rig in customer_api(db):
        yield rig


async def test_given_agent_who_worked_with_customer_then_records_consent_others_refused(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("phone", "07700900123"), name="Jane")
    path = f"/api/customers/{jane['id']}/consent"
    await api.stored("call-1", "voice", jane["id"], at=1000.0, agent="alice")
    assert (await api.call("GET", path, "bob"))[0] == 403          # never worked with her
    status, _ = await api.call("PUT", f"{path}/phone/marketing", "bob",
                               json={"state": "withdrawn"})
    assert status == 403
    view = await api.ok("PUT", f"{path}/phone/marketing", "alice", json={
        "state": "withdrawn", "source": "desk", "evidence": "asked on call-1"})
    assert (view["state"], view["by"], view["source"], view["evidence"]) == (
        "withdrawn", "alice", "desk", "asked on call-1")
    read = await api.ok("GET", path, "alice")
    assert [(c["channel"], c["purpose"], c["state"]) for c in read["consents"]] == [
        ("phone", "marketing", "withdrawn")]
    assert [h["by"] for h in read["history"]] == ["alice"]
    for body, code in (({"state": "maybe"}, "record_invalid"),
                       ({"state": "granted", "source": "unsubscribe"}, "bad_source"),
                       ({"state": "granted", "colour": "red"}, "record_invalid")):
        status, answer = await api.call("PUT", f"{path}/email/marketing", "sam", json=body)
        assert (status, answer["error"]) == (400, code), body
    status, _ = await api.call("PUT", f"{path}/sms/marketing", "sam",
                               json={"state": "granted"})
    assert status == 400
    status, answer = await api.call("GET", "/api/customers/nobody/consent", "sam")
    assert (status, answer["error"]) == (404, "customer_not_found")


async def test_given_dnc_routes_then_check_add_list_remove(api: CustomerApi) -> None:
    added = await api.ok("POST", "/api/dnc", "alice", json={"number": "07700 900123",
                                                           "reason": "asked on the call"})
    assert (added["number"], added["by"]) == ("+447700900123", "alice")
    check = await api.ok("GET", "/api/dnc", "bob", params={"number": "+447700900123"})
    assert check["listed"] and check["entry"]["reason"] == "asked on the call"
    assert (await api.call("GET", "/api/dnc", "bob"))[0] == 403      # the list: staff
    page = await api.ok("GET", "/api/dnc", "sam", params={"limit": "10"})
    assert [n["number"] for n in page["numbers"]] == ["+447700900123"]
    status, answer = await api.call("POST", "/api/dnc", "alice", json={"number": "abc"})
    assert (status, answer["error"]) == (400, "invalid_identity")
    assert (await api.call("DELETE", "/api/dnc/+447700900123", "alice"))[0] == 403
    assert (await api.ok("DELETE", "/api/dnc/+447700900123", "sam"))["listed"] is False
    status, answer = await api.call("DELETE", "/api/dnc/+447700900123", "sam")
    assert (status, answer["error"]) == (404, "number_not_found")


async def test_given_csv_import_then_whole_file_or_line_numbered_refusal(
        api: CustomerApi) -> None:
    headers = {"Content-Type": "text/csv"}
    good = b"number,reason\n07700900001,tps\n07700900002,\n07700900001,twice\n"
    report = await api.ok("POST", "/api/dnc/import", "sam", data=good, headers=headers)
    assert report == {"rows": 3, "added": 2, "already_listed": 0, "duplicates": 1}
    bad = b"number\n07700900003\nnot-a-number\n07700900004\n12\n"
    status, answer = await api.call("POST", "/api/dnc/import", "sam", data=bad,
                                    headers=headers)
    assert (status, answer["error"]) == (400, "bad_csv")
    assert [e["line"] for e in answer["errors"]] == [3, 5]
    check = await api.ok("GET", "/api/dnc", "sam", params={"number": "07700900003"})
    assert check["listed"] is False                                  # nothing half-imported
    assert (await api.call("POST", "/api/dnc/import", "alice", data=good,
                           headers=headers))[0] == 403
