"""The consent ledger, the do-not-call list and suppressed addresses
(ccengine/store/consent.py), on both stores: statements kept now and in the history, the
newest across merged records, bad values refused; numbers listed in E.164; a CSV imported
whole or, with any bad line, not at all."""

from __future__ import annotations

import pytest

from ccengine.store.consent import (
    ConsentLedger,
    DoNotCallList,
    EmailSuppressions,
    InvalidImport,
)
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import InvalidIdentity, InvalidRecord, UnknownCustomer


async def test_given_statements_then_current_newest_and_history_kept(db: Database) -> None:
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    ledger = ConsentLedger(db)
    assert await ledger.current(jane["id"]) == []
    assert await ledger.state(jane["id"], "email", "marketing") is None
    await ledger.record(jane["id"], "email", "marketing", "granted", by="alice",
                        source="phone", at=100.0, evidence="said yes on the call")
    withdrawn = await ledger.record(jane["id"], "email", "marketing", "withdrawn",
                                    by="customer", source="unsubscribe", at=200.0,
                                    evidence="one-click unsubscribe, campaign spring")
    await ledger.record(jane["id"], "phone", "service", "granted", by="sam", source="api",
                        at=150.0)
    assert withdrawn["state"] == "withdrawn"
    assert [(c["channel"], c["purpose"], c["state"], c["source"])
            for c in await ledger.current(jane["id"])] == [
        ("email", "marketing", "withdrawn", "unsubscribe"),
        ("phone", "service", "granted", "api")]
    assert [(h["state"], h["at"], h["by"]) for h in await ledger.history(jane["id"])] == [
        ("withdrawn", 200.0, "customer"), ("granted", 150.0, "sam"),
        ("granted", 100.0, "alice")]
    assert await ledger.state(jane["id"], "email", "marketing") == "withdrawn"


async def test_given_merged_customers_then_newest_statement_of_either_wins(
        db: Database) -> None:
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    dup = await customers.create(name="J", identities=[("phone", "07700900123")])
    ledger = ConsentLedger(db)
    await ledger.record(jane["id"], "phone", "marketing", "granted", by="a", source="api",
                        at=100.0)
    await ledger.record(dup["id"], "phone", "marketing", "withdrawn", by="customer",
                        source="phone", at=300.0, evidence="asked not to be called")
    await customers.merge(dup["id"], jane["id"], by="sam")
    assert await ledger.state(jane["id"], "phone", "marketing") == "withdrawn"
    assert await ledger.state(dup["id"], "phone", "marketing") == "withdrawn"
    assert len(await ledger.history(jane["id"])) == 2
    # a statement on the merged-away id lands on the survivor
    later = await ledger.record(dup["id"], "phone", "marketing", "granted", by="b",
                                source="api", at=400.0)
    assert later["customer_id"] == jane["id"]
    assert await ledger.state(jane["id"], "phone", "marketing") == "granted"


@pytest.mark.parametrize(("args", "message"), [
    (("sms", "marketing", "granted", "api"), "channel"),
    (("email", "sales", "granted", "api"), "purpose"),
    (("email", "marketing", "maybe", "api"), "state"),
    (("email", "marketing", "granted", "rumour"), "source"),
])
async def test_given_bad_values_then_refused_and_nothing_kept(
        db: Database, args: tuple[str, str, str, str], message: str) -> None:
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("email", "jane@example.org")])
    ledger = ConsentLedger(db)
    channel, purpose, state, source = args
    with pytest.raises(InvalidRecord, match=message):
        await ledger.record(jane["id"], channel, purpose, state, by="a", source=source,
                            at=1.0)
    with pytest.raises(InvalidRecord, match="evidence"):
        await ledger.record(jane["id"], "email", "marketing", "granted", by="a",
                            source="api", at=1.0, evidence="x" * 2001)
    with pytest.raises(UnknownCustomer):
        await ledger.record("nobody", "email", "marketing", "granted", by="a",
                            source="api", at=1.0)
    assert await ledger.history(jane["id"]) == []


async def test_given_numbers_then_listed_in_e164_and_removed(db: Database) -> None:
    dnc = DoNotCallList(db, "GB")
    entry = await dnc.add("07700 900123", by="alice", source="api", at=5.0,
                          reason="asked on the call")
    assert entry["number"] == "+447700900123"
    assert (await dnc.get("+44 7700 900123"))["reason"] == "asked on the call"
    assert await dnc.listed(["+447700900123", "+447700900999"]) == {"+447700900123"}
    with pytest.raises(InvalidIdentity):
        await dnc.add("not a number", by="a", source="api", at=1.0)
    assert await dnc.remove("07700900123") and not await dnc.remove("07700900123")
    assert await dnc.get("07700900123") is None


async def test_given_csv_then_imported_whole_or_not_at_all(db: Database) -> None:
    dnc = DoNotCallList(db, "GB")
    await dnc.add("07700900001", by="a", source="api", at=1.0)
    good = (b"number,reason\n07700900001,already\n+44 7700 900002,tps\n"
            b"07700900003,\n07700900002,again\n")
    report = await dnc.import_csv(good, by="sam", at=10.0)
    assert report == {"rows": 4, "added": 2, "already_listed": 1, "duplicates": 1}
    assert (await dnc.get("07700900002"))["source"] == "import"
    bad = b"number\n07700900010\nnonsense\n07700900011,extra\n"
    with pytest.raises(InvalidImport) as refused:
        await dnc.import_csv(bad, by="sam", at=11.0)
    assert [line for line, _ in refused.value.errors] == [4]   # extra field first pass
    bad_numbers = b"number\n07700900010\nnonsense\n\n"
    with pytest.raises(InvalidImport) as refused:
        await dnc.import_csv(bad_numbers, by="sam", at=11.0)
    assert [line for line, _ in refused.value.errors] == [3]
    assert await dnc.get("07700900010") is None                # nothing half-imported
    for data, found in ((b"phone\n0770\n", "lacks the column(s) number"),
                        (b"number,colour\n1,red\n", "unknown column(s) colour"),
                        ("number\n07700 900123 \u00e9\n".encode("latin-1"), "not UTF-8"),
                        (b"", "lacks the column(s) number")):
        with pytest.raises(InvalidImport) as refused:
            await dnc.import_csv(data, by="sam", at=12.0)
        assert found in refused.value.errors[0][1]


async def test_given_suppressed_address_then_found_in_any_case(db: Database) -> None:
    suppressions = EmailSuppressions(db)
    await suppressions.add("Jane@Example.org", "5.1.1 user unknown", 7.0)
    found = await suppressions.suppressed("jane@example.ORG")
    assert found is not None and found["reason"] == "5.1.1 user unknown"
    assert await suppressions.remove("jane@example.org")
    assert await suppressions.suppressed("jane@example.org") is None
