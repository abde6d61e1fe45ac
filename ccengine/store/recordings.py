"""The recordings index: call recordings and voicemails, each on its interaction. A row is
written when a recording starts (state ``recording``), updated on pause/resume and when
its file is in place (``done``, with path and duration) or could not be made (``failed``).
The audio itself is a file under the recordings directory; the row holds its path
relative to that directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from sqlalchemy import func, select, update

from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, NotFound, StoreConflict
from ccengine.store.models import Customer, InteractionEventRecord, InteractionRecord
from ccengine.store.models import RecordingRecord as Row

KINDS = ("call", "voicemail")
STATES = ("recording", "paused", "done", "failed")


class UnknownRecording(NotFound):
    code = "recording_not_found"
    what = "recording"


class VoicemailAlreadyHandled(StoreConflict):
    code = "voicemail_conflict"


class VoicemailNotReady(StoreConflict):
    """The call that left the voicemail is still being stored."""

    code = "voicemail_conflict"


class RecordingView(TypedDict):
    id: str
    interaction_id: str
    kind: str
    queue: str | None
    name: str
    format: str
    state: str
    path: str | None
    started_by: str | None
    started_at: float
    ended_at: float | None
    duration: float | None
    paused: list[dict[str, float | None]]
    error: str | None
    handled_by: str | None
    handled_at: float | None


class VoicemailView(RecordingView):
    caller_number: str | None
    customer: dict[str, Any] | None


class RecordingRepository:
    """Index rows of recordings, and the voicemail work list."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, *, id: str, interaction_id: str, kind: str, queue: str | None,
                  name: str, format: str, started_at: float,
                  started_by: str | None = None) -> RecordingView:
        if kind not in KINDS:
            raise InvalidRecord(f"recording kind must be one of {KINDS}, not {kind!r}")
        row = Row(id=id, interaction_id=interaction_id, kind=kind, queue=queue, name=name,
                  format=format, state="recording", started_by=started_by,
                  started_at=started_at, paused=[])
        async with self.db.session.begin() as s:
            s.add(row)
        return _view(row)

    async def update(self, recording_id: str, **values: Any) -> RecordingView:
        """Set ``state``, ``path``, ``ended_at``, ``duration``, ``paused`` or ``error``."""
        allowed = {"state", "path", "ended_at", "duration", "paused", "error"}
        unknown = set(values) - allowed
        if unknown:
            raise InvalidRecord(f"cannot update recording fields {sorted(unknown)}")
        if "state" in values and values["state"] not in STATES:
            raise InvalidRecord(f"recording state must be one of {STATES}")
        async with self.db.session.begin() as s:
            row = await s.get(Row, recording_id)
            if row is None:
                raise UnknownRecording(recording_id)
            for name, value in values.items():
                setattr(row, name, list(value) if name == "paused" else value)
            await s.flush()
            return _view(row)

    async def get(self, recording_id: str) -> RecordingView | None:
        async with self.db.session() as s:
            row = await s.get(Row, recording_id)
            return None if row is None else _view(row)

    async def for_interaction(self, interaction_id: str) -> list[RecordingView]:
        """The interaction's recordings, oldest first."""
        async with self.db.session() as s:
            rows = (await s.execute(select(Row).where(Row.interaction_id == interaction_id)
                                    .order_by(Row.started_at, Row.id))).scalars().all()
            return [_view(r) for r in rows]

    async def voicemails(self, queues: Sequence[str], *, handled: bool | None = None,
                         limit: int = 100) -> list[VoicemailView]:
        """Voicemails left for ``queues`` (newest first, only those whose file is in
        place) with the caller's number and customer; ``handled`` True/False filters on
        whether someone dealt with them."""
        query = (select(Row, InteractionRecord.from_address, Customer.id, Customer.name)
                 .outerjoin(InteractionRecord, InteractionRecord.id == Row.interaction_id)
                 .outerjoin(Customer, Customer.id == InteractionRecord.customer_id)
                 .where(Row.kind == "voicemail", Row.state == "done",
                        Row.queue.in_(list(queues))))
        if handled is not None:
            query = query.where(Row.handled_at.is_not(None) if handled
                                else Row.handled_at.is_(None))
        query = query.order_by(Row.started_at.desc(), Row.id).limit(limit)
        async with self.db.session() as s:
            out: list[VoicemailView] = []
            for row, number, customer_id, customer_name in (await s.execute(query)).all():
                customer = {"id": customer_id, "name": customer_name} if customer_id else None
                out.append(VoicemailView(**_view(row), caller_number=number,
                                         customer=customer))
            return out

    async def mark_handled(self, recording_id: str, by: str, at: float) -> RecordingView:
        """Record that ``by`` dealt with the voicemail (VoicemailAlreadyHandled if someone
        did already), and add ``voicemail_handled`` to its interaction's history
        (VoicemailNotReady while the call that left it is still being stored)."""
        async with self.db.session.begin() as s:
            # the write comes first: one statement decides who handled it when two agents
            # click at once (and SQLite's writer lock is taken before anything is read)
            claimed = await s.execute(update(Row).where(
                Row.id == recording_id, Row.kind == "voicemail", Row.handled_at.is_(None))
                .values(handled_by=by, handled_at=at))
            row = await s.get(Row, recording_id)
            if row is None or row.kind != "voicemail":
                raise UnknownRecording(recording_id)
            if claimed.rowcount != 1:
                raise VoicemailAlreadyHandled(f"voicemail {recording_id} was handled by "
                                              f"{row.handled_by} already")
            interaction = await s.get(InteractionRecord, row.interaction_id)
            if interaction is not None:
                kinds = set((await s.execute(
                    select(InteractionEventRecord.kind)
                    .where(InteractionEventRecord.interaction_id == row.interaction_id)))
                    .scalars())
                if interaction.ended_at is None or "voicemail_left" not in kinds:
                    # the engine still stores the call's last events: appending now would
                    # race with it (this transaction, claim included, is rolled back)
                    raise VoicemailNotReady(f"the call that left voicemail {recording_id} "
                                            "is still ending: try again in a moment")
                # the call is over and stored: its history only grows here now
                seq = (await s.execute(
                    select(func.count()).select_from(InteractionEventRecord)
                    .where(InteractionEventRecord.interaction_id == row.interaction_id))
                ).scalar_one()
                s.add(InteractionEventRecord(
                    interaction_id=row.interaction_id, seq=seq, kind="voicemail_handled",
                    at=at, agent_id=by, data={"recording_id": row.id, "by": by}))
            await s.flush()
            return _view(row)


def _view(row: Row) -> RecordingView:
    return RecordingView(
        id=row.id, interaction_id=row.interaction_id, kind=row.kind, queue=row.queue,
        name=row.name, format=row.format, state=row.state, path=row.path,
        started_by=row.started_by, started_at=row.started_at, ended_at=row.ended_at,
        duration=row.duration,
        paused=[{"from": p[0], "to": p[1]} for p in (row.paused or [])],
        error=row.error, handled_by=row.handled_by, handled_at=row.handled_at)
