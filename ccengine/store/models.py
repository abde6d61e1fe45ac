"""SQLAlchemy models of the durable records (SQLite by default, PostgreSQL in production).
Times are epoch seconds (float) everywhere; identities are stored normalised."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Customer(Base):
    """One person across every medium; ``merged_into`` points at the surviving record."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(40), default="standard")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    # free-form profile data (bounded by ccengine/store/customer_fields.py); None = none yet
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    merged_by: Mapped[str | None] = mapped_column(String(100))  # the user who merged it away
    merged_at: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(100))  # the agent whose customer it is


class CustomerIdentity(Base):
    """A phone number (E.164), email address or chat handle that identifies a customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identity_kind_value"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))


class InteractionRecord(Base):
    """A voice call, callback, email or chat, with its milestone times."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_customer_entered", "customer_id", "entered_at"),
                      # reports read the work not counted yet (live, or just ended) by it
                      Index("ix_interactions_uncounted", "counted_at", "queued_at"))
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    medium: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    queue: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="new")
    disposition: Mapped[str | None] = mapped_column(String(100))
    agent_id: Mapped[str | None] = mapped_column(String(100), index=True)
    from_address: Mapped[str | None] = mapped_column(String(320))
    hung_up_by: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entered_at: Mapped[float | None] = mapped_column(Float, index=True)
    ivr_done_at: Mapped[float | None] = mapped_column(Float)
    queued_at: Mapped[float | None] = mapped_column(Float, index=True)
    offered_at: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    # what reports count, kept on the row (derived from the events at each save) so a
    # report over a million interactions is one aggregate query
    first_response_at: Mapped[float | None] = mapped_column(Float)  # email: first reply
    callback_at: Mapped[float | None] = mapped_column(Float)        # a callback asked for
    transfers: Mapped[int] = mapped_column(Integer, default=0)       # completed transfers
    # its agents' wrap-up, added as each ends (AgentEventRepository); never set by a save
    wrapup_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # when its figures went into work_intervals (once, by whichever save ended it); never
    # set by a save
    counted_at: Mapped[float | None] = mapped_column(Float)


class InteractionEventRecord(Base):
    """One event of an interaction's history; (interaction_id, seq) makes saves idempotent."""

    __tablename__ = "interaction_events"
    interaction_id: Mapped[str] = mapped_column(ForeignKey("interactions.id"),
                                                primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[float] = mapped_column(Float)
    agent_id: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interaction_id: Mapped[str] = mapped_column(ForeignKey("interactions.id"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)


class UserRecord(Base):
    """A person who signs in: agent, supervisor or admin of one tenant. Only hashes are
    stored: scrypt for the password, SHA-256 of the (random, 256-bit) API token."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_users_token_hash"),)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(100), default="default", index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


class QueueConfigRecord(Base):
    """An admin-defined queue: its name and its settings as JSON."""

    __tablename__ = "queues"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[float] = mapped_column(Float)


class SkillConfigRecord(Base):
    """An admin-defined skill: its name and its settings as JSON."""

    __tablename__ = "skills"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[float] = mapped_column(Float)


class MessageRecord(Base):
    """One message of an email or chat conversation, in either direction, stored before
    anything else happens to it (the inbound email's raw bytes included). ``external_id``
    (an email's Message-ID, a chat client's message id) makes storing idempotent."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("medium", "external_id", name="uq_messages_external"),
                      Index("ix_messages_interaction", "interaction_id", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    medium: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    external_id: Mapped[str | None] = mapped_column(String(998))
    interaction_id: Mapped[str | None] = mapped_column(String(64))
    thread_key: Mapped[str | None] = mapped_column(String(998), index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class RecordingRecord(Base):
    """A recording of a call (its bridge) or a voicemail (the caller's channel). ``path`` is
    relative to the recordings directory; ``paused`` lists [from, to] epoch-second pairs
    (to is null while paused); ``handled_*`` say who dealt with a voicemail."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_interaction", "interaction_id", "started_at"),
                      Index("ix_recordings_kind_queue", "kind", "queue", "started_at"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    interaction_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))              # call | voicemail
    queue: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))             # Asterisk's recording name
    format: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))             # recording|paused|done|failed
    path: Mapped[str | None] = mapped_column(String(500))
    started_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    duration: Mapped[float | None] = mapped_column(Float)
    paused: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(100))
    handled_at: Mapped[float | None] = mapped_column(Float)
class CallbackRecord(Base):
    """A callback request: the number to call back, the queue, when it is due and what
    became of each attempt. The SQL row is the truth (a restart keeps it); the live
    interaction (``interaction_id``) is made from it when it enters the queue."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_state_due", "state", "due_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    interaction_id: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[float] = mapped_column(Float)
    enqueued_at: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcomes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    requested_via: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class SessionRecord(Base):
    """A signed-in web session. ``id`` is the SHA-256 (hex) of the random value the browser
    holds in its cookie; the value itself is never stored. ``expires_at`` is absolute (the
    sign-in plus the configured maximum); ``last_seen_at`` measures idleness."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    address: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class AgentEventRecord(Base):
    """One change of an agent's state (the dispatcher's AgentStateChanged), kept for
    reports: time in state, occupancy, and each interaction's wrap-up (``cause``
    wrap_up, then released or wrap_up_ended, with its ``interaction_id``)."""

    __tablename__ = "agent_events"
    __table_args__ = (Index("ix_agent_events_agent_at", "agent_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(String(100))
    at: Mapped[float] = mapped_column(Float, index=True)
    old: Mapped[str] = mapped_column(String(16))
    new: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(100), default="")
    cause: Mapped[str] = mapped_column(String(40), default="")
    interaction_id: Mapped[str | None] = mapped_column(String(64), index=True)


class AgentTimeRecord(Base):
    """An agent's time per quarter hour (``bucket``: epoch seconds // 900): staffed
    (available, offered, busy, wrap-up) and occupied (busy, wrap-up), added as each of the
    agent's states ends, so occupancy over a month is a sum, not a replay of every change."""

    __tablename__ = "agent_time"
    agent_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    staffed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    occupied_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class WorkIntervalRecord(Base):
    """The report figures of ended work per quarter hour it was queued in (``bucket``:
    epoch seconds // 900), queue, medium and agent ("" for none; "*": every agent's work
    together, what reports by queue read): each interaction's are
    added once when it ends (its wrap-up as that ends), so a report over a million
    interactions sums a few thousand rows. Named as ``ccengine.reporting.intervals.Tally``."""

    __tablename__ = "work_intervals"
    # reports by queue read the all-agents rows ("*") of a range
    __table_args__ = (Index("ix_work_intervals_agent_bucket", "agent_id", "bucket"),)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue: Mapped[str] = mapped_column(String(100), primary_key=True)
    medium: Mapped[str] = mapped_column(String(16), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    abandoned_within: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    other_exits: Mapped[int] = mapped_column(Integer, default=0)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    callbacks: Mapped[int] = mapped_column(Integer, default=0)
    wait_total: Mapped[float] = mapped_column(Float, default=0.0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    talk_total: Mapped[float] = mapped_column(Float, default=0.0)
    wrapup_total: Mapped[float] = mapped_column(Float, default=0.0)
    first_responses: Mapped[int] = mapped_column(Integer, default=0)
    first_response_total: Mapped[float] = mapped_column(Float, default=0.0)


class KbArticle(Base):
    """A knowledge base article: Markdown ``body``, ``tags``, a ``language`` code (en,
    en-GB) and a ``state``, draft or published; ``version`` counts its changes (each kept
    in kb_versions). Its public page is /kb/<slug>. Full-text search lives outside the
    models (migration 0011, ``compared``)."""

    __tablename__ = "kb_articles"
    __table_args__ = (UniqueConstraint("slug", name="uq_kb_articles_slug"),
                      Index("ix_kb_articles_state_updated", "state", "updated_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    published_at: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str | None] = mapped_column(String(100))
    updated_by: Mapped[str | None] = mapped_column(String(100))


class KbVersion(Base):
    """One version of an article as it was saved (version 1: as created)."""

    __tablename__ = "kb_versions"
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"),
                                            primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[Any]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[float] = mapped_column(Float)


class KbUsage(Base):
    """An article ``shown`` to an agent or visitor, ``used`` in a reply, or ``read`` on its
    public page, with the work, agent and channel where known."""

    __tablename__ = "kb_usage"
    __table_args__ = (Index("ix_kb_usage_article_at", "article_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[float] = mapped_column(Float, index=True)
    interaction_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(16))


class IntentLabel(Base):
    """The intent an agent confirmed or corrected for a piece of work (in wrap-up): the
    classifier learns from these, and reports count repeat contacts by them. One per
    interaction; a later label replaces it. ``detected`` is what the classifier said (None:
    nothing), so confirmations and corrections can be told apart."""

    __tablename__ = "intent_labels"
    interaction_id: Mapped[str] = mapped_column(ForeignKey("interactions.id"),
                                                primary_key=True)
    intent: Mapped[str] = mapped_column(String(64))
    detected: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str] = mapped_column(String(100))
    at: Mapped[float] = mapped_column(Float, index=True)


class ConsentRecord(Base):
    """A customer's consent now for one channel (email, phone) and purpose (marketing,
    service): granted or withdrawn, with who or what set it last (docs/campaigns.md,
    "Consent"). No row: never asked; the campaigns' policy decides."""

    __tablename__ = "consents"
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[float] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(100))          # a user, or "customer", "system"
    source: Mapped[str] = mapped_column(String(32))      # api, desk, unsubscribe, import...
    evidence: Mapped[str | None] = mapped_column(Text)


class ConsentEvent(Base):
    """Every change of a consent, kept for good: the ledger's history."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_customer_at", "customer_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[float] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str | None] = mapped_column(Text)


class DoNotCall(Base):
    """A number (E.164) that is never dialled for marketing: imported, added by an agent or
    asked for by the customer."""

    __tablename__ = "do_not_call"
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)


class EmailSuppression(Base):
    """An address no campaign mail goes to (a hard bounce, repeated soft bounces, a
    complaint, an admin's choice)."""

    __tablename__ = "email_suppressions"
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)


class CampaignRecord(Base):
    """An outbound campaign: its definition (``spec``: steps, queue, limits; checked by
    ccengine/campaigns/spec.py) and its state: draft, running, paused or finished."""

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("name", name="uq_campaigns_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # signs its unsubscribe links (never shown): several nodes and restarts agree on it
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)


class CampaignTarget(Base):
    """A customer on a campaign's list: where they are in its steps and how it ended
    (pending, active, responded, opted_out, failed, done, cancelled)."""

    __tablename__ = "campaign_targets"
    __table_args__ = (Index("ix_campaign_targets_due", "state", "next_at"),
                      Index("ix_campaign_targets_customer", "customer_id"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer, default=0)      # the next step to take
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # of the current step
    next_at: Mapped[float | None] = mapped_column(Float)       # when it is due
    phone: Mapped[str | None] = mapped_column(String(32))      # E.164, from the list
    email: Mapped[str | None] = mapped_column(String(320))
    outcome: Mapped[str | None] = mapped_column(String(200))   # why it ended, or the last try
    response_interaction: Mapped[str | None] = mapped_column(String(64))
    callback_id: Mapped[str | None] = mapped_column(String(36))  # a phone step's call
    added_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class CampaignContact(Base):
    """One attempt of a campaign step on a target: mail sent or suppressed, a call placed
    and what became of it."""

    __tablename__ = "campaign_contacts"
    __table_args__ = (Index("ix_campaign_contacts_customer_at", "customer_id", "at"),
                      Index("ix_campaign_contacts_campaign", "campaign_id", "step"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[str] = mapped_column(String(36))
    step: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    interaction_id: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(998))


def compared(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name``: whether a reflected object is compared with the models.
    Not the knowledge base's full-text search, which is the database's own (migration
    0011): SQLite's FTS5 table ``kb_search`` and its ``kb_search_*`` shadow tables,
    PostgreSQL's ``kb_articles.search_document`` column and its index ``kb_search_gin``."""
    if type_ in ("table", "index"):
        return not (name or "").startswith("kb_search")
    if type_ == "column":
        return not (name == "search_document"
                    and parent_names.get("table_name") == "kb_articles")
    return True
