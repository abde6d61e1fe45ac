"""Campaigns in the store (docs/campaigns.md, "Campaigns"): their definitions and states,
the customers on their lists (imported from CSV or chosen from the customers) with where
each is in the steps, every attempt of a step, and the progress per step.

States: a campaign is ``draft`` (its definition and list can change), ``running``,
``paused`` or ``finished`` (for good). A target is ``pending`` (its next step is due at
``next_at``), ``active`` (a step is under way: a call being placed), or has ended:
``responded`` (the customer answered on any channel: every pending step is cancelled),
``opted_out``, ``failed`` (no way to reach them), ``done`` (every step taken) or
``cancelled`` (the campaign finished first)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypedDict

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ccengine.store.consent import InvalidImport, _read_csv
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.errors import (
    IdentityTaken,
    InvalidIdentity,
    InvalidRecord,
    NotFound,
    StoreError,
)
from ccengine.store.models import CampaignContact, CampaignRecord, CampaignTarget, Customer

STATES = ("draft", "running", "paused", "finished")
MOVES = {("draft", "running"), ("running", "paused"), ("paused", "running"),
         ("draft", "finished"), ("running", "finished"), ("paused", "finished")}
OPEN = ("pending", "active")                      # targets whose campaign goes on
ENDED = ("responded", "opted_out", "failed", "done", "cancelled")
MAX_TARGETS = 100_000


class UnknownCampaign(NotFound):
    code = "campaign_not_found"
    what = "campaign"


class CampaignConflict(StoreError):
    """Not in a state that allows this (a running campaign's list, a finished campaign)."""

    code = "campaign_conflict"


class CampaignView(TypedDict):
    id: int
    name: str
    state: str
    spec: dict[str, Any]
    created_at: float
    created_by: str
    updated_at: float
    started_at: float | None
    finished_at: float | None


def _view(row: CampaignRecord) -> CampaignView:
    return {"id": row.id, "name": row.name, "state": row.state, "spec": dict(row.spec),
            "created_at": row.created_at, "created_by": row.created_by,
            "updated_at": row.updated_at, "started_at": row.started_at,
            "finished_at": row.finished_at}


def _target_view(row: CampaignTarget) -> dict[str, Any]:
    return {"campaign_id": row.campaign_id, "customer_id": row.customer_id,
            "state": row.state, "step": row.step, "attempts": row.attempts,
            "next_at": row.next_at, "phone": row.phone, "email": row.email,
            "outcome": row.outcome, "response_interaction": row.response_interaction,
            "callback_id": row.callback_id}


class CampaignRepository:
    def __init__(self, db: Database, customers: CustomerRepository) -> None:
        self.db, self.customers = db, customers

    # ------------------------------------------------------------------ campaigns
    async def create(self, spec: Mapping[str, Any], *, by: str, at: float) -> CampaignView:
        """A draft campaign (``spec`` already checked); CampaignConflict if the name is
        taken."""
        row = CampaignRecord(name=spec["name"], state="draft", spec=dict(spec),
                             secret=secrets.token_hex(32), created_at=at, created_by=by,
                             updated_at=at)
        try:
            async with self.db.session.begin() as s:
                s.add(row)
                await s.flush()
                return _view(row)
        except IntegrityError as e:
            raise CampaignConflict(f"a campaign named {spec['name']!r} exists") from e

    async def get(self, campaign_id: int) -> CampaignView:
        async with self.db.session() as s:
            row = await s.get(CampaignRecord, campaign_id)
            if row is None:
                raise UnknownCampaign(str(campaign_id))
            return _view(row)

    async def list(self) -> list[CampaignView]:
        async with self.db.session() as s:
            rows = (await s.execute(select(CampaignRecord).order_by(CampaignRecord.id)))
            return [_view(r) for r in rows.scalars()]

    async def replace_spec(self, campaign_id: int, spec: Mapping[str, Any], at: float
                           ) -> CampaignView:
        """A draft's new definition (its name stays)."""
        async with self.db.session.begin() as s:
            row = await self._row(s, campaign_id)
            if row.state != "draft":
                raise CampaignConflict(f"campaign {row.name!r} is {row.state}: only a "
                                       "draft's definition changes")
            row.spec, row.updated_at = {**dict(spec), "name": row.name}, at
            return _view(row)

    async def move(self, campaign_id: int, state: str, at: float) -> CampaignView:
        """Start, pause, resume or finish. Starting makes every pending target due now (its
        first step's delay after that); finishing cancels what has not ended."""
        if state not in STATES:
            raise InvalidRecord(f"state must be one of {', '.join(STATES)}")
        async with self.db.session.begin() as s:
            row = await self._row(s, campaign_id)
            if (row.state, state) not in MOVES:
                raise CampaignConflict(f"campaign {row.name!r} is {row.state}: it cannot "
                                       f"become {state}")
            if state == "running" and row.started_at is None:
                row.started_at = at
                first = float(row.spec["steps"][0].get("after_hours", 0.0)) * 3600
                await s.execute(update(CampaignTarget).where(
                    CampaignTarget.campaign_id == campaign_id,
                    CampaignTarget.state == "pending").values(next_at=at + first,
                                                              updated_at=at))
            if state == "finished":
                row.finished_at = at
                await s.execute(update(CampaignTarget).where(
                    CampaignTarget.campaign_id == campaign_id,
                    CampaignTarget.state.in_(OPEN)).values(
                        state="cancelled", next_at=None, outcome="campaign finished",
                        updated_at=at))
            row.state, row.updated_at = state, at
            return _view(row)

    async def _row(self, s: Any, campaign_id: int) -> CampaignRecord:
        row = await s.get(CampaignRecord, campaign_id)
        if row is None:
            raise UnknownCampaign(str(campaign_id))
        return row

    # ------------------------------------------------------------------ the list
    async def add_customers(self, campaign_id: int, customer_ids: Sequence[str], at: float
                            ) -> dict[str, int]:
        """Existing customers onto a draft's list (their first phone number and email
        address); UnknownCustomer-like InvalidImport naming each id not found."""
        wanted = list(dict.fromkeys(customer_ids))
        async with self.db.session() as s:
            found = {c.id: c for c in (await s.execute(
                select(Customer).where(Customer.id.in_(wanted)))).scalars()} if wanted else {}
        missing = [(i + 1, f"no customer {cid!r}") for i, cid in enumerate(wanted)
                   if cid not in found]
        if missing:
            raise InvalidImport(missing)
        rows = []
        for cid in wanted:
            view = await self.customers.get(cid)
            identities = (view or {}).get("identities") or []
            rows.append((cid, _first(identities, "phone"), _first(identities, "email")))
        return await self._add(campaign_id, rows, at, duplicates=len(customer_ids) - len(wanted))

    async def import_csv(self, campaign_id: int, data: bytes, at: float) -> dict[str, int]:
        """A list from CSV (UTF-8, header row; columns ``phone``, ``email``, ``name``, at
        least one of the first two per row): customers found by their number or address,
        created when new. Every row is checked first; any bad row (a number or address
        that cannot be read, a row without either, a customer twice) refuses the whole
        file (InvalidImport naming each bad line) and nothing is added."""
        await self._draft(campaign_id)
        rows = _read_csv(data, required=(), optional=("phone", "email", "name"))
        if not rows:
            raise InvalidImport([(1, "no rows: the file needs a header row (phone, email, "
                                     "name) and at least one customer")])
        errors: list[tuple[int, str]] = []
        checked: list[tuple[int, str | None, str | None, str | None]] = []
        seen: dict[str, int] = {}
        for line, row in rows:
            phone, email = row.get("phone") or None, row.get("email") or None
            if phone is None and email is None:
                errors.append((line, "neither a phone number nor an email address"))
                continue
            try:
                phone = self.customers.normalise("phone", phone) if phone else None
                email = self.customers.normalise("email", email) if email else None
            except InvalidIdentity as e:
                errors.append((line, str(e)))
                continue
            for key in (k for k in (phone, email) if k):
                if key in seen:
                    errors.append((line, f"{key} is also on line {seen[key]}"))
                    break
                seen[key] = line
            else:
                checked.append((line, phone, email, row.get("name") or None))
        if errors:
            raise InvalidImport(errors)
        targets = []
        for line, phone, email, name in checked:
            try:
                customer = await self._customer(phone, email, name)
            except (InvalidIdentity, InvalidRecord) as e:
                errors.append((line, str(e)))
                continue
            targets.append((str(customer["id"]), phone, email))
        if errors:
            raise InvalidImport(errors)
        ids = [t[0] for t in targets]
        twice = {cid for cid in ids if ids.count(cid) > 1}
        if twice:   # a number and an address of one customer on two lines
            raise InvalidImport([(line, "the same customer as another line")
                                 for (line, *_), (cid, *_) in zip(checked, targets,
                                                                  strict=True)
                                 if cid in twice])
        return await self._add(campaign_id, targets, at, duplicates=0)

    async def _customer(self, phone: str | None, email: str | None, name: str | None
                        ) -> Mapping[str, Any]:
        for kind, value in (("phone", phone), ("email", email)):
            if value:
                found = await self.customers.find_by_identity(kind, value)
                if found is not None:
                    return found
        kind, value = ("phone", phone) if phone else ("email", email)
        assert value is not None
        customer = await self.customers.get_or_create_by_identity(kind, value, name)
        if phone and email and kind == "phone":
            with contextlib.suppress(IdentityTaken):   # another customer's: used all the same
                await self.customers.add_identity(str(customer["id"]), "email", email)
        return customer

    async def _add(self, campaign_id: int, rows: Sequence[tuple[str, str | None, str | None]],
                   at: float, *, duplicates: int) -> dict[str, int]:
        async with self.db.session.begin() as s:
            campaign = await self._row(s, campaign_id)
            if campaign.state != "draft":
                raise CampaignConflict(f"campaign {campaign.name!r} is {campaign.state}: "
                                       "only a draft's list changes")
            on_list = set((await s.execute(select(CampaignTarget.customer_id).where(
                CampaignTarget.campaign_id == campaign_id))).scalars())
            if len(on_list) + len(rows) > MAX_TARGETS:
                raise InvalidImport([(1, f"a campaign lists at most {MAX_TARGETS} "
                                         "customers")])
            added = 0
            for customer_id, phone, email in rows:
                if customer_id in on_list:
                    continue
                s.add(CampaignTarget(campaign_id=campaign_id, customer_id=customer_id,
                                     state="pending", step=0, attempts=0, next_at=None,
                                     phone=phone, email=email, added_at=at, updated_at=at))
                on_list.add(customer_id)
                added += 1
        return {"rows": len(rows) + duplicates, "added": added,
                "already_listed": len(rows) - added, "duplicates": duplicates}

    async def _draft(self, campaign_id: int) -> None:
        view = await self.get(campaign_id)
        if view["state"] != "draft":
            raise CampaignConflict(f"campaign {view['name']!r} is {view['state']}: only a "
                                   "draft's list changes")

    async def targets(self, campaign_id: int, *, state: str | None = None,
                      limit: int = 100, after: str | None = None) -> list[dict[str, Any]]:
        query = (select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
                 .order_by(CampaignTarget.customer_id).limit(limit))
        if state is not None:
            query = query.where(CampaignTarget.state == state)
        if after is not None:
            query = query.where(CampaignTarget.customer_id > after)
        async with self.db.session() as s:
            await self._row(s, campaign_id)
            return [_target_view(r) for r in (await s.execute(query)).scalars()]

    # ------------------------------------------------------------------ running
    async def responded(self, customer_id: str, interaction_id: str, at: float
                        ) -> list[int]:
        """The customer responded (a reply, a chat, a call of theirs, a completed campaign
        call): every running or paused campaign they are on ends for them, every pending
        step on every channel cancelled. The campaigns' ids.

        Every call, chat and mail of a customer asks this, and nearly always they are on no
        open campaign: a plain read says so first, cheaper than the ORM's transaction, which
        is made only for a customer who is."""
        live = select(CampaignRecord.id).where(CampaignRecord.state.in_(("running", "paused")))
        open_targets = (CampaignTarget.customer_id == customer_id,
                        CampaignTarget.state.in_(OPEN), CampaignTarget.campaign_id.in_(live))
        async with self.db.engine.connect() as conn:
            if (await conn.execute(select(CampaignTarget.campaign_id).where(*open_targets)
                                   .limit(1))).first() is None:
                return []
        async with self.db.session.begin() as s:
            rows = (await s.execute(select(CampaignTarget).where(*open_targets))
                    ).scalars().all()
            for row in rows:
                row.state, row.next_at, row.updated_at = "responded", None, at
                row.response_interaction = interaction_id
                row.outcome = "responded"
            return [r.campaign_id for r in rows]

    async def secret(self, campaign_id: int) -> bytes:
        """The key that signs the campaign's unsubscribe links."""
        async with self.db.session() as s:
            return bytes.fromhex((await self._row(s, campaign_id)).secret)

    async def active(self) -> list[tuple[CampaignView, dict[str, Any]]]:
        """Targets whose step was under way, in running or paused campaigns (what a
        restarted runner looks at again)."""
        async with self.db.session() as s:
            rows = (await s.execute(
                select(CampaignRecord, CampaignTarget)
                .join(CampaignTarget, CampaignTarget.campaign_id == CampaignRecord.id)
                .where(CampaignRecord.state.in_(("running", "paused")),
                       CampaignTarget.state == "active"))).all()
            return [(_view(c), _target_view(t)) for c, t in rows]

    async def step_sent(self, campaign_id: int, customer_id: str, step: int) -> bool:
        """Whether the step's mail was handed to the outbox (a contact ``sent``)."""
        async with self.db.session() as s:
            return (await s.execute(select(CampaignContact.id).where(
                CampaignContact.campaign_id == campaign_id,
                CampaignContact.customer_id == customer_id, CampaignContact.step == step,
                CampaignContact.outcome == "sent").limit(1))).first() is not None

    async def sending(self, campaign_id: int, customer_id: str, step: int) -> str | None:
        """The Message-ID of the step's mail that was being handed to the outbox (a
        contact ``sending``: a stop came before it was settled), if any."""
        async with self.db.session() as s:
            return (await s.execute(select(CampaignContact.message_id).where(
                CampaignContact.campaign_id == campaign_id,
                CampaignContact.customer_id == customer_id, CampaignContact.step == step,
                CampaignContact.outcome == "sending").limit(1))).scalar()

    async def mail_handed(self, campaign_id: int, customer_id: str, message_id: str,
                          outcome: str, detail: str | None = None) -> None:
        """The mail being handed to the outbox was (``sent``) or was not (``failed``)."""
        async with self.db.session.begin() as s:
            await s.execute(update(CampaignContact).where(
                CampaignContact.campaign_id == campaign_id,
                CampaignContact.customer_id == customer_id,
                CampaignContact.message_id == message_id,
                CampaignContact.outcome == "sending").values(outcome=outcome,
                                                             detail=detail))

    async def due(self, now: float, limit: int = 100, *,
                  besides: Collection[int] = ()) -> list[tuple[CampaignView,
                                                               dict[str, Any]]]:
        """Targets of running campaigns (other than ``besides``) whose next step is due,
        the longest due first."""
        query = (select(CampaignRecord, CampaignTarget)
                 .join(CampaignTarget, CampaignTarget.campaign_id == CampaignRecord.id)
                 .where(CampaignRecord.state == "running", CampaignTarget.state == "pending",
                        CampaignTarget.next_at <= now))
        if besides:
            query = query.where(CampaignRecord.id.not_in(list(besides)))
        async with self.db.session() as s:
            rows = (await s.execute(query.order_by(CampaignTarget.next_at).limit(limit))).all()
            return [(_view(c), _target_view(t)) for c, t in rows]

    async def live_answers(self, campaign_id: int, since: float
                           ) -> list[tuple[float, str]]:
        """The campaign's calls a person answered since ``since``: (at, ``answered`` or
        ``abandoned``), oldest first (the abandon rate's window)."""
        async with self.db.session() as s:
            rows = (await s.execute(
                select(CampaignContact.at, CampaignContact.outcome).where(
                    CampaignContact.campaign_id == campaign_id, CampaignContact.at >= since,
                    CampaignContact.outcome.in_(("answered", "abandoned")))
                .order_by(CampaignContact.at))).all()
        return [(float(at), str(outcome)) for at, outcome in rows]

    async def abandoned_since(self, number: str, since: float) -> float | None:
        """When a campaign call to ``number`` was last abandoned since ``since`` (over
        every campaign), or None: the abandoned number's lockout."""
        c, t = CampaignContact, CampaignTarget
        async with self.db.session() as s:
            at = (await s.execute(
                select(func.max(c.at))
                .join(t, (t.campaign_id == c.campaign_id) & (t.customer_id == c.customer_id))
                .where(t.phone == number, c.outcome == "abandoned", c.at >= since))
            ).scalar()
        return float(at) if at is not None else None

    async def claim(self, campaign_id: int, customer_id: str, now: float) -> bool:
        """Take a due target (pending -> active) for its step; False when another runner
        took it, the customer responded or the campaign stopped meanwhile."""
        live = select(CampaignRecord.id).where(CampaignRecord.id == campaign_id,
                                               CampaignRecord.state == "running")
        async with self.db.session.begin() as s:
            done = await s.execute(update(CampaignTarget).where(
                CampaignTarget.campaign_id == campaign_id,
                CampaignTarget.customer_id == customer_id,
                CampaignTarget.state == "pending", CampaignTarget.next_at <= now,
                CampaignTarget.campaign_id.in_(live)).values(state="active", updated_at=now))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def settle(self, campaign_id: int, customer_id: str, now: float, *,
                     state: str, next_at: float | None = None, step: int | None = None,
                     attempts: int | None = None, outcome: str | None = None) -> bool:
        """An active target's step is over: ``pending`` again (its next step or another
        attempt at ``next_at``) or ended (done, failed, opted_out). Only while it is still
        active: a response meanwhile wins. Whether it changed."""
        if state not in ("pending", *ENDED):
            raise InvalidRecord(f"a target cannot become {state!r}")
        values: dict[str, Any] = {"state": state, "next_at": next_at if state == "pending"
                                  else None, "updated_at": now}
        if step is not None:
            values["step"] = step
        if attempts is not None:
            values["attempts"] = attempts
        if outcome is not None:
            values["outcome"] = outcome[:200]
        async with self.db.session.begin() as s:
            done = await s.execute(update(CampaignTarget).where(
                CampaignTarget.campaign_id == campaign_id,
                CampaignTarget.customer_id == customer_id,
                CampaignTarget.state == "active").values(**values))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def reopen(self, campaign_id: int, customer_id: str, step: int,
                     callback_id: str | None, now: float) -> bool:
        """A target whose latest call (``callback_id``, of ``step``) is over or under way
        (``done`` or ``active``) is active again at that step, so that the call's wrap-up
        disposition settles what follows. False when it moved on meanwhile (responded,
        opted out, its campaign finished, another call placed)."""
        async with self.db.session.begin() as s:
            done = await s.execute(update(CampaignTarget).where(
                CampaignTarget.campaign_id == campaign_id,
                CampaignTarget.customer_id == customer_id,
                CampaignTarget.callback_id == callback_id,
                CampaignTarget.state.in_(("active", "done"))).values(
                    state="active", step=step, updated_at=now))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def target(self, campaign_id: int, customer_id: str) -> dict[str, Any] | None:
        async with self.db.session() as s:
            row = await s.get(CampaignTarget, (campaign_id, customer_id))
            return _target_view(row) if row is not None else None

    async def settle_active(self, campaign_id: int, customer_id: str, now: float, *,
                            outcome: str, callback_id: str | None = None) -> bool:
        """An active target stays active (its step is under way: a call queued), with
        what is happening (and the call's callback request)."""
        async with self.db.session.begin() as s:
            done = await s.execute(update(CampaignTarget).where(
                CampaignTarget.campaign_id == campaign_id,
                CampaignTarget.customer_id == customer_id,
                CampaignTarget.state == "active").values(outcome=outcome[:200],
                                                         callback_id=callback_id,
                                                         updated_at=now))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    async def record_contact(self, campaign_id: int, customer_id: str, step: int,
                             channel: str, at: float, outcome: str, *,
                             detail: str | None = None, interaction_id: str | None = None,
                             message_id: str | None = None) -> None:
        async with self.db.session.begin() as s:
            s.add(CampaignContact(campaign_id=campaign_id, customer_id=customer_id,
                                  step=step, channel=channel, at=at, outcome=outcome,
                                  detail=detail, interaction_id=interaction_id,
                                  message_id=message_id))

    async def contact_by_message(self, message_id: str) -> dict[str, Any] | None:
        """The campaign mail with this Message-ID: its campaign, customer and step."""
        async with self.db.session() as s:
            row = (await s.execute(select(CampaignContact).where(
                CampaignContact.message_id == message_id,
                CampaignContact.outcome == "sent").limit(1))).scalar()
            return None if row is None else {"campaign_id": row.campaign_id,
                                             "customer_id": row.customer_id,
                                             "step": row.step}

    async def bounce_history(self, address: str) -> list[tuple[float, str, str | None,
                                                                str | None]]:
        """The address's bounces: (at, class, bounced Message-ID, status), oldest first."""
        c, t = CampaignContact, CampaignTarget
        async with self.db.session() as s:
            rows = (await s.execute(
                select(c.at, c.outcome, c.message_id, c.detail)
                .join(t, (t.campaign_id == c.campaign_id) & (t.customer_id == c.customer_id))
                .where(t.email == address, c.outcome.in_(BOUNCES))
                .order_by(c.at))).all()
        return [(at, BOUNCES[outcome], mid, detail) for at, outcome, mid, detail in rows]

    async def end_for_customer(self, customer_id: str, state: str, outcome: str,
                               at: float, *, campaign_id: int | None = None) -> list[int]:
        """End the customer's open targets (an opt-out): in one campaign or all."""
        async with self.db.session.begin() as s:
            query = select(CampaignTarget).where(CampaignTarget.customer_id == customer_id,
                                                 CampaignTarget.state.in_(OPEN))
            if campaign_id is not None:
                query = query.where(CampaignTarget.campaign_id == campaign_id)
            rows = (await s.execute(query)).scalars().all()
            for row in rows:
                row.state, row.next_at, row.outcome, row.updated_at = state, None, outcome, at
            return [r.campaign_id for r in rows]

    async def contacts_since(self, customer_id: str, since: float) -> int:
        """How many campaign contacts (mail sent, calls placed) the customer had since
        ``since``, over every campaign: the frequency cap."""
        async with self.db.session() as s:
            return int((await s.execute(select(func.count()).where(
                CampaignContact.customer_id == customer_id, CampaignContact.at >= since,
                CampaignContact.outcome.in_(CONTACTED)))).scalar_one())

    async def progress(self, campaign_id: int) -> dict[str, Any]:
        """Per step: contacted, and the targets by state; totals by state."""
        async with self.db.session() as s:
            campaign = await self._row(s, campaign_id)
            by_state = dict((await s.execute(
                select(CampaignTarget.state, func.count()).where(
                    CampaignTarget.campaign_id == campaign_id)
                .group_by(CampaignTarget.state))).all())
            per_step = (await s.execute(
                select(CampaignContact.step, CampaignContact.outcome, func.count()).where(
                    CampaignContact.campaign_id == campaign_id)
                .group_by(CampaignContact.step, CampaignContact.outcome))).all()
            chosen = (await s.execute(
                select(CampaignContact.step, CampaignContact.detail, func.count()).where(
                    CampaignContact.campaign_id == campaign_id,
                    CampaignContact.outcome == "disposition")
                .group_by(CampaignContact.step, CampaignContact.detail))).all()
            waiting = dict((await s.execute(
                select(CampaignTarget.step, func.count()).where(
                    CampaignTarget.campaign_id == campaign_id,
                    CampaignTarget.state.in_(OPEN))
                .group_by(CampaignTarget.step))).all())
        steps = []
        for index, step in enumerate(campaign.spec["steps"]):
            outcomes = {o: n for st, o, n in per_step if st == index and o != "disposition"}
            steps.append({"step": index, "channel": step["channel"],
                          "contacted": sum(n for o, n in outcomes.items() if o in CONTACTED),
                          "outcomes": outcomes, "pending": int(waiting.get(index, 0)),
                          "dispositions": {d: n for st, d, n in chosen if st == index}})
        totals = {k: int(by_state.get(k, 0)) for k in (*OPEN, *ENDED)}
        return {"campaign_id": campaign_id, "state": campaign.state,
                "targets": sum(totals.values()), "by_state": totals, "steps": steps}


CONTACTED = ("sent", "answered", "no_answer", "busy", "abandoned", "failed_call")
BOUNCES = {"bounce_permanent": "permanent", "bounce_temporary": "temporary"}


def _first(identities: Sequence[Mapping[str, Any]], kind: str) -> str | None:
    return next((str(i["value"]) for i in identities if i.get("kind") == kind), None)
