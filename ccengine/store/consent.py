"""The consent ledger, the do-not-call list and the email suppression list
(docs/campaigns.md, "Consent").

- **Consent**: per customer, channel (email, phone) and purpose (marketing, service), granted
  or withdrawn, with who or what changed it, when, from where (``source``) and the evidence
  (the unsubscribe request, the agent's note of what the customer said). Every change is
  kept (``consent_events``). A customer merged into another keeps their history; reads of
  the survivor take, per channel and purpose, the newest statement of any of its records.
- **Do not call**: numbers (E.164) never dialled for marketing.
- **Email suppressions**: addresses no campaign mail goes to (bounces, complaints).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ccengine.store.customer_fields import plain_text
from ccengine.store.customers import family
from ccengine.store.db import Database
from ccengine.store.errors import InvalidIdentity, InvalidRecord, UnknownCustomer
from ccengine.store.identities import normalise
from ccengine.store.merges import survivor
from ccengine.store.models import ConsentEvent, ConsentRecord, DoNotCall, EmailSuppression

CHANNELS = ("email", "phone")
PURPOSES = ("marketing", "service")
STATES = ("granted", "withdrawn")
SOURCES = ("api", "desk", "phone", "paper", "import", "unsubscribe", "campaign", "bounce")
MAX_EVIDENCE = 2000
MAX_REASON = 500
MAX_IMPORT_ROWS = 200_000


class ConsentView(TypedDict):
    customer_id: str
    channel: str
    purpose: str
    state: str
    at: float
    by: str
    source: str
    evidence: str | None


class InvalidImport(InvalidRecord):
    """A CSV that cannot be imported; ``errors`` are (line, message), nothing was kept."""

    code = "bad_csv"

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"line {n}: {m}" for n, m in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} row(s) refused, nothing imported: {shown}{more}")


def _choice(value: Any, name: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidRecord(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _view(row: ConsentRecord | ConsentEvent) -> ConsentView:
    return {"customer_id": row.customer_id, "channel": row.channel, "purpose": row.purpose,
            "state": row.state, "at": row.at, "by": row.by, "source": row.source,
            "evidence": row.evidence}


async def _family(s: AsyncSession, customer_id: str) -> tuple[str, set[str]]:
    row = await survivor(s, customer_id)
    if row is None:
        raise UnknownCustomer(customer_id)
    return row.id, await family(s, row.id)


class ConsentLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, customer_id: str, channel: str, purpose: str, state: str, *,
                     by: str, source: str, at: float,
                     evidence: str | None = None) -> ConsentView:
        """A statement of consent (on the surviving customer), kept now and in the
        history. InvalidRecord for an unknown channel, purpose, state or source."""
        channel = _choice(channel, "channel", CHANNELS)
        purpose = _choice(purpose, "purpose", PURPOSES)
        state = _choice(state, "state", STATES)
        source = _choice(source, "source", SOURCES)
        evidence = plain_text(evidence, "evidence", MAX_EVIDENCE)
        async with self.db.session.begin() as s:
            owner, _ = await _family(s, customer_id)
            row = await s.get(ConsentRecord, (owner, channel, purpose))
            if row is None:
                row = ConsentRecord(customer_id=owner, channel=channel, purpose=purpose)
                s.add(row)
            row.state, row.at, row.by, row.source, row.evidence = (state, at, by, source,
                                                                   evidence)
            s.add(ConsentEvent(customer_id=owner, channel=channel, purpose=purpose,
                               state=state, at=at, by=by, source=source, evidence=evidence))
            await s.flush()
            return _view(row)

    async def current(self, customer_id: str) -> list[ConsentView]:
        """The customer's consents now (the newest per channel and purpose over the
        customer and those merged into it), in channel and purpose order."""
        async with self.db.session() as s:
            owner, ids = await _family(s, customer_id)
            rows = (await s.execute(select(ConsentRecord)
                                    .where(ConsentRecord.customer_id.in_(ids)))).scalars()
            newest: dict[tuple[str, str], ConsentRecord] = {}
            for row in rows:
                key = (row.channel, row.purpose)
                if key not in newest or row.at > newest[key].at:
                    newest[key] = row
        return [{**_view(newest[k]), "customer_id": owner} for k in sorted(newest)]

    async def state(self, customer_id: str, channel: str, purpose: str) -> str | None:
        """granted, withdrawn or None (never stated)."""
        for view in await self.current(customer_id):
            if (view["channel"], view["purpose"]) == (channel, purpose):
                return view["state"]
        return None

    async def history(self, customer_id: str, limit: int = 100) -> list[ConsentView]:
        """Every change, newest first (the customer's and those merged into it)."""
        async with self.db.session() as s:
            _, ids = await _family(s, customer_id)
            rows = (await s.execute(
                select(ConsentEvent).where(ConsentEvent.customer_id.in_(ids))
                .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc()).limit(limit)
            )).scalars()
            return [_view(r) for r in rows]


class DoNotCallList:
    """Numbers never dialled for marketing; numbers are kept in E.164."""

    def __init__(self, db: Database, default_region: str = "GB") -> None:
        self.db, self.default_region = db, default_region

    def number(self, value: Any) -> str:
        """The E.164 form (InvalidIdentity when it is not a possible number)."""
        if not isinstance(value, str):
            raise InvalidRecord(f"number must be text, not {type(value).__name__}")
        return normalise("phone", value, self.default_region)

    async def add(self, number: str, *, by: str, source: str, at: float,
                  reason: str | None = None) -> dict[str, Any]:
        e164 = self.number(number)
        source = _choice(source, "source", SOURCES)
        reason = plain_text(reason, "reason", MAX_REASON)
        async with self.db.session.begin() as s:
            row = await s.get(DoNotCall, e164)
            if row is None:
                row = DoNotCall(number=e164)
                s.add(row)
            row.at, row.by, row.source, row.reason = at, by, source, reason
            await s.flush()
            return _dnc_view(row)

    async def remove(self, number: str) -> bool:
        e164 = self.number(number)
        async with self.db.session.begin() as s:
            done = await s.execute(delete(DoNotCall).where(DoNotCall.number == e164))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def get(self, number: str) -> dict[str, Any] | None:
        e164 = self.number(number)
        async with self.db.session() as s:
            row = await s.get(DoNotCall, e164)
            return _dnc_view(row) if row is not None else None

    async def listed(self, numbers: Sequence[str]) -> set[str]:
        """Which of these E.164 numbers are on the list."""
        if not numbers:
            return set()
        async with self.db.session() as s:
            return set((await s.execute(select(DoNotCall.number)
                                        .where(DoNotCall.number.in_(list(numbers))))).scalars())

    async def page(self, limit: int = 100, after: str | None = None) -> list[dict[str, Any]]:
        query = select(DoNotCall).order_by(DoNotCall.number).limit(limit)
        if after is not None:
            query = query.where(DoNotCall.number > after)
        async with self.db.session() as s:
            return [_dnc_view(r) for r in (await s.execute(query)).scalars()]

    async def import_csv(self, data: bytes, *, by: str, at: float) -> dict[str, int]:
        """Numbers from a CSV (UTF-8, a header row with a ``number`` column and optionally
        ``reason``): all of them or, when any row is bad, none (InvalidImport names each
        bad line). A number listed twice counts once."""
        rows = _read_csv(data, required=("number",), optional=("reason",))
        errors: list[tuple[int, str]] = []
        found: dict[str, str | None] = {}
        for line, row in rows:
            try:
                e164 = self.number(row["number"])
                reason = plain_text(row.get("reason") or None, "reason", MAX_REASON)
            except (InvalidRecord, InvalidIdentity) as e:
                errors.append((line, str(e)))
                continue
            found.setdefault(e164, reason)
        if errors:
            raise InvalidImport(errors)
        async with self.db.session.begin() as s:
            existing = set((await s.execute(select(DoNotCall.number).where(
                DoNotCall.number.in_(list(found))))).scalars()) if found else set()
            for e164, reason in found.items():
                if e164 not in existing:
                    s.add(DoNotCall(number=e164, at=at, by=by, source="import",
                                    reason=reason))
        return {"rows": len(rows), "added": len(set(found) - existing),
                "already_listed": len(existing), "duplicates": len(rows) - len(found)}


def _dnc_view(row: DoNotCall) -> dict[str, Any]:
    return {"number": row.number, "at": row.at, "by": row.by, "source": row.source,
            "reason": row.reason}


def _read_csv(data: bytes, *, required: Sequence[str], optional: Sequence[str] = ()
              ) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a UTF-8 CSV with a header row; InvalidImport when it is not
    UTF-8, has no header, lacks a required column or has more rows than allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidImport([(text_line(data, e.start), "not UTF-8 text "
                              f"(byte {data[e.start]:#04x}); save the file as UTF-8")]) from e
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidImport([(1, f"the header row lacks the column(s) {', '.join(missing)} "
                                 f"(found: {', '.join(header) or 'nothing'})")])
    unknown = [c for c in header if c not in (*required, *optional)]
    if unknown:
        raise InvalidImport([(1, f"unknown column(s) {', '.join(unknown)} (known: "
                                 f"{', '.join((*required, *optional))})")])
    reader.fieldnames = header
    out, bad = [], []
    try:
        for row in reader:
            if len(out) + len(bad) >= MAX_IMPORT_ROWS:
                raise InvalidImport([(reader.line_num, f"more than {MAX_IMPORT_ROWS} rows")])
            if None in row:     # DictReader keeps fields past the header under None
                bad.append((reader.line_num, "more fields than the header has"))
            else:
                out.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    except csv.Error as e:
        raise InvalidImport([(reader.line_num, f"not readable as CSV: {e}")]) from e
    if bad:
        raise InvalidImport(bad)
    return out


def text_line(data: bytes, offset: int) -> int:
    """The line number (from 1) of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


class EmailSuppressions:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, address: str, reason: str, at: float) -> None:
        address = normalise("email", address, "GB")
        async with self.db.session.begin() as s:
            row = await s.get(EmailSuppression, address)
            if row is None:
                s.add(EmailSuppression(address=address, at=at, reason=reason[:MAX_REASON]))

    async def suppressed(self, address: str) -> dict[str, Any] | None:
        address = normalise("email", address, "GB")
        async with self.db.session() as s:
            row = await s.get(EmailSuppression, address)
            return {"address": row.address, "at": row.at, "reason": row.reason} \
                if row is not None else None

    async def remove(self, address: str) -> bool:
        address = normalise("email", address, "GB")
        async with self.db.session.begin() as s:
            done = await s.execute(delete(EmailSuppression)
                                   .where(EmailSuppression.address == address))
        return bool(done.rowcount)  # type: ignore[attr-defined]


class ConsentSummary:
    """The consent part of a customer's screen pop: per channel and purpose, granted,
    withdrawn or null (never stated), and the customer's numbers on the do-not-call list."""

    def __init__(self, ledger: ConsentLedger, dnc: DoNotCallList) -> None:
        self.ledger, self.dnc = ledger, dnc

    async def __call__(self, customer: Mapping[str, Any]) -> dict[str, Any]:
        states: dict[str, dict[str, str | None]] = {
            c: dict.fromkeys(PURPOSES) for c in CHANNELS}
        for view in await self.ledger.current(str(customer["id"])):
            states[view["channel"]][view["purpose"]] = view["state"]
        phones = [i["value"] for i in customer.get("identities") or []
                  if i.get("kind") == "phone"]
        return {**states, "do_not_call": sorted(await self.dnc.listed(phones))}
