"""The engine's parts beyond the voice core, each started in order by ``Engine``: a part
registers its channel with the dispatcher, its API routes in ``engine.api_routes``, its
cleanup on the engine's exit stack and, where it needs one, a check to run once every part
has started (``engine.started_checks``). Their config sections are parsed (and refused,
naming file and key) when the Engine is built, so ``ccengine check`` validates them too."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from ccengine.engine import Engine
    from ccengine.settings import Settings

log = logging.getLogger(__name__)

Part = Callable[["Engine"], Awaitable[None]]


async def start_sip_guard(engine: Engine) -> None:
    """The SIP edge's guard (``sip_security:``): addresses that fail to authenticate too
    often are blocked in Asterisk for a while (API: /api/sip/blocks, admins)."""
    from ccengine.api.sip_blocks import add_routes
    from ccengine.telephony.asterisk.render import uses_webrtc
    from ccengine.telephony.sip_guard.guard import AmiLogin, SipGuard
    from ccengine.telephony.sip_guard.store import blocks_file
    c, rendered, settings = engine.config, engine.rendered, engine.sip_security
    if rendered is None:
        raise RuntimeError("the SIP guard starts after Asterisk's config is rendered")
    guard = None
    if settings.enabled:
        relay = c.asterisk.control_bind   # the desk's SIP relay connects from there
        relay = "127.0.0.1" if relay in ("0.0.0.0", "::") else relay
        if uses_webrtc(c) and not settings.never_blocked(relay):
            log.warning("SIP: sip_security.never_block does not hold %s, where the desk's "
                        "SIP relay reaches Asterisk from: blocking it would cut every "
                        "WebRTC phone", relay)
        secrets = rendered.secrets
        guard = SipGuard(settings, AmiLogin(c.asterisk.control_bind, c.asterisk.ami_port,
                                            secrets.ami_user, secrets.ami_secret),
                         rendered.etc_dir, blocks_file(c.runtime_dir), clock=time.time)
        await guard.start()
        engine._stack.push_async_callback(guard.stop)
    engine.sip_guard = guard
    engine.api_routes.append(lambda app: add_routes(app, guard, settings))
    if guard is not None:
        engine.reloaders.append(lambda new: setattr(guard, "settings", new.sip_security))


async def start_overload_guard(engine: Engine) -> None:
    """Admission control (``overload:``): new callers refused at the door (SIP 503) while
    the engine and its Asterisk run late (ccengine/telephony/overload.py)."""
    from ccengine.telephony.overload import OverloadGuard
    if engine.voice is None:
        raise RuntimeError("the overload guard starts after the voice channel")
    guard = OverloadGuard(engine.voice.ari, engine.overload, clock=time.time)
    engine.voice.router.observers.append(guard.observe)
    engine.voice.late_since = guard.late_since
    engine.in_background(guard.run(), "overload-guard")
    engine.overload_guard = guard
    engine.reloaders.append(lambda new: setattr(guard, "settings", new.overload))


async def start_transfers(engine: Engine) -> None:
    """Transfers and conferences on live calls (API under /api/calls/...)."""
    from ccengine.api.calls import add_routes
    from ccengine.telephony.transfers import Transfers
    if engine.voice is None or engine.dispatcher is None:
        raise RuntimeError("transfers start after the voice channel")
    transfers = Transfers(engine.voice, engine.dispatcher, clock=time.time)
    engine.transfers = transfers  # the outbound part sets transfers.dial_number
    engine.api_routes.append(lambda app: add_routes(app, transfers))


async def start_customers(engine: Engine) -> None:
    """The customer API (/api/customers...), notes and dispositions on interactions;
    dispositions from the ``dispositions:`` config section."""
    from ccengine.api.customers import add_customer_api
    from ccengine.store.timeline import Timeline
    if (engine.db is None or engine.customers is None or engine.consent is None
            or engine.do_not_call is None):
        raise RuntimeError("the customer API starts after the store")
    customers, timeline = engine.customers, Timeline(engine.db)
    dispositions = engine.dispositions
    engine.api_routes.append(
        lambda app: add_customer_api(app, customers, timeline, dispositions))
    from ccengine.api.consent import ConsentApi
    from ccengine.api.consent import add_routes as add_consent_routes
    consent = ConsentApi(engine.consent, engine.do_not_call, customers)
    engine.api_routes.append(lambda app: add_consent_routes(app, consent))
    if engine.dispatcher is not None:   # named-contact routing: who a customer prefers
        from ccengine.cti.named_contact import NamedContacts
        engine.dispatcher.preference_source = NamedContacts(
            engine.db, customers, engine.dispatcher.state, engine.dispatcher.clock)


async def start_recording(engine: Engine) -> None:
    """Call recording (per-queue policy, pause/resume) and voicemail (API under
    /api/calls/{id}/recording, /api/recordings, /api/voicemails)."""
    from ccengine.api.recordings import add_routes
    from ccengine.telephony.recording.feature import RecordingFeature
    c = engine.config
    if engine.voice is None or engine.dispatcher is None or engine.db is None \
            or engine.recorder is None or engine.rendered is None:
        raise RuntimeError("recording starts after the voice channel and the store")
    recording = RecordingFeature(
        engine.recording_settings, voice=engine.voice, dispatcher=engine.dispatcher, db=engine.db,
        interactions=engine.recorder, spool=engine.rendered.var_dir / "spool" / "recording",
        supervisors=c.supervisors, clock=time.time)
    engine.recording = recording
    engine._stack.push_async_callback(recording.stop)
    engine.api_routes.append(lambda app: add_routes(app, recording))
    engine.reloaders.append(lambda new: recording.reconfigure(new))


async def start_chat(engine: Engine) -> None:
    """Web chat when ``chat:`` is configured: visitor routes under /chat/ (public),
    agents' messages under /api/interactions/{id}/messages."""
    if not engine.chat_settings.enabled:
        return
    from ccengine.channels.chat import ChatChannel, add_routes
    if engine.dispatcher is None or engine.messages is None or engine.customers is None \
            or engine.feed is None:
        raise RuntimeError("chat starts after the store and the dispatcher")
    chat = ChatChannel(engine.dispatcher, engine.messages, engine.customers, engine.feed,
                       engine.chat_settings, clock=time.time)
    engine.chat = chat
    engine.dispatcher.register_channel(chat)
    engine.dispatcher.subscribe(chat.on_event)
    await chat.start()
    engine._stack.push_async_callback(chat.stop)
    messages = engine.messages
    engine.api_routes.append(lambda app: add_routes(app, chat, messages))


async def start_outbound(engine: Engine) -> None:
    """Trunks, agents' outbound calls, the transfers' dialler and callbacks (API:
    /api/agents/{id}/dial, /api/callbacks, /api/trunks)."""
    from ccengine.telephony.outbound.part import start_outbound
    stop = await start_outbound(engine, engine.outbound_settings)
    if stop is not None:
        engine._stack.push_async_callback(stop)
    if engine.chat is not None:  # a chat's visitor may ask for a callback
        engine.chat.callbacks = engine.callback_requests


async def start_email(engine: Engine) -> None:
    """The email channel when ``email:`` is configured (mailboxes, SMTP listener,
    outbox; API under /api/interactions/{id}/messages|reply), every queue's
    service level (GET /api/queues/{name}/service-level) and staffing by Erlang C
    (GET /api/staffing/erlang-c, /api/staffing/queues)."""
    from ccengine.api.service_level import add_routes as add_service_level
    from ccengine.api.staffing import add_routes as add_staffing
    engine.api_routes.append(add_service_level)
    engine.api_routes.append(
        lambda app: add_staffing(app, lambda: engine.settings.reporting.timezone))
    if engine.email_config is None:
        return
    from ccengine.channels.email.api import add_routes
    from ccengine.channels.email.service import EmailChannel
    d, feed = engine.dispatcher, engine.feed
    if d is None or feed is None or engine.messages is None or engine.customers is None \
            or engine.recorder is None:
        raise RuntimeError("email starts after the store and the dispatcher")
    channel = EmailChannel(engine.email_config, d, engine.messages, engine.customers,
                           engine.recorder, notify=feed.send, clock=time.time)
    d.register_channel(channel)
    engine._stack.push_async_callback(channel.stop)
    await channel.start()
    engine.email = channel
    engine.api_routes.append(lambda app: add_routes(app, channel))


async def start_waiting(engine: Engine) -> None:
    """The queued caller's experience (config ``waiting``): announcements, keys and
    the maximum wait; its actions' executors are checked once every part started."""
    from ccengine.telephony.waiting import WaitingRoom
    if engine.voice is None or engine.dispatcher is None:
        raise RuntimeError("the waiting experience starts after the voice channel")
    voice, dispatcher = engine.voice, engine.dispatcher

    def open_room() -> None:
        room = WaitingRoom(voice, dispatcher, engine.waiting, clock=time.time)
        engine.waiting_room = room
        engine._stack.callback(room.unsubscribe)

    def reload_waiting(new: Settings) -> None:
        if engine.waiting_room is not None:
            engine.waiting_room.configs = new.waiting
            engine.waiting_room.check_executors(engine.config.source)
        elif new.waiting:   # the first waiting settings: the room opens now
            open_room()
            engine.waiting_room.check_executors(engine.config.source)
    engine.reloaders.append(reload_waiting)
    if not engine.waiting:
        return
    open_room()
    room = engine.waiting_room
    engine.started_checks.append(lambda: room.check_executors(engine.config.source))


async def start_supervision(engine: Engine) -> None:
    """Supervisors monitor, whisper to and barge into live calls (API under
    /api/calls/{id}/supervise and /api/supervisor/calls)."""
    from ccengine.api.supervise import add_routes
    from ccengine.telephony.supervision import Supervisions
    if engine.voice is None or engine.dispatcher is None:
        raise RuntimeError("supervision starts after the voice channel")
    ami = engine.ami
    supervisions = Supervisions(
        engine.voice, engine.dispatcher, engine.supervisors, clock=time.time,
        reachable=lambda sup: bool(ami is not None and ami.contacts.get(sup)))
    engine.api_routes.append(lambda app: add_routes(app, supervisions))
    engine.reloaders.append(
        lambda new: setattr(supervisions, "supervisors", dict(new.supervisors)))


async def start_ivr(engine: Engine) -> None:
    """The IVR's lookups (their own HTTP client), transfers to extensions and callers'
    recent intents (from the customers' timelines)."""
    from ccengine.cti.customers import newest_intent
    from ccengine.store.timeline import Timeline
    from ccengine.telephony.ivr.services import install
    if engine.voice is None or engine.db is None:
        raise RuntimeError("the IVR starts after the voice channel and the store")
    http = await engine._stack.enter_async_context(aiohttp.ClientSession())
    voice, timeline = engine.voice, Timeline(engine.db)

    async def intents(customer_id: str, call_id: str, within: float
                      ) -> dict[str, Any] | None:
        return await newest_intent(timeline, customer_id, time.time(), within=within,
                                   excluding=call_id)
    install(voice, http, engine.ivr.endpoints, clock=time.time, intents=intents)
    # new transfer extensions for the calls that come next (a call keeps its services)
    engine.reloaders.append(lambda new: install(voice, http, new.ivr.endpoints,
                                                clock=time.time, intents=intents))


async def start_phones(engine: Engine) -> None:
    """The agent desk's pages (/desk/) and the phone in them: each user's own SIP
    credentials (/api/phone), the SIP websocket relayed to Asterisk (/ws/sip), and a
    caller kept for their agent while the agent's page comes back (telephony/rejoin.py)."""
    from ccengine.api.desk_static import add_routes as add_desk
    from ccengine.api.phone import PhoneRelay
    from ccengine.api.phone import add_routes as add_phone
    c, rendered = engine.config, engine.rendered
    if rendered is None:
        raise RuntimeError("the desk starts after Asterisk's config is rendered")
    http = await engine._stack.enter_async_context(aiohttp.ClientSession())
    relay = PhoneRelay(f"ws://{c.asterisk.control_bind}:{c.asterisk.http_port}/ws", http,
                       engine.phone_lines(), engine.webrtc, c.asterisk.bind,
                       c.asterisk.phone_sip_port)
    engine.phones = relay
    if engine.voice is not None and engine.dispatcher is not None:
        from ccengine.telephony.rejoin import AgentRejoin
        rejoin = AgentRejoin(engine.voice, engine.dispatcher,
                             seconds=engine.webrtc.rejoin_seconds, clock=time.time)
        relay.listeners.append(rejoin.on_phone)
    engine.api_routes.append(lambda app: add_phone(app, relay))
    engine.api_routes.append(add_desk)

    def reload_phones(new: Settings) -> None:
        relay.lines, relay.settings = engine.phone_lines(), new.webrtc
    engine.reloaders.append(reload_phones)


async def start_desk(engine: Engine) -> None:
    """What the agent desk reads at start (GET /api/desk) and the canned responses
    (GET /api/canned-responses); last, so it knows which parts run."""
    from ccengine.api.desk import DESK, DeskSettings, RunningParts, add_routes
    from ccengine.telephony.recording.settings import Policy

    def desk_settings() -> DeskSettings:
        rec = engine.recording_settings
        recording = engine.recording is not None and any(
            rec.policy(queue) != Policy.NEVER for queue in engine.queues)
        return DeskSettings(
            canned=engine.canned_responses, dispositions=engine.dispositions,
            offer_timeout=engine.config.offer_timeout,
            intents=tuple(engine.settings.intents.names),
            parts=RunningParts(chat=engine.chat is not None, email=engine.email is not None,
                               outbound=engine.outbound is not None,
                               callbacks=engine.callback_requests is not None,
                               recording=recording))
    engine.api_routes.append(lambda app: add_routes(app, desk_settings()))

    def reload_desk(_new: Settings) -> None:
        if engine.api_app is not None:
            engine.api_app[DESK].value = desk_settings()
    engine.reloaders.append(reload_desk)


async def start_reports(engine: Engine) -> None:
    """Interval reports (GET /api/reports) from the store, counted as ``reporting:`` says
    (read at each request: a reload applies at once)."""
    from ccengine.api.reports import ReportsApi, add_routes
    if engine.db is None or engine.agent_events is None:
        raise RuntimeError("reports start after the store")
    api = ReportsApi(engine.db, engine.agent_events, lambda: engine.settings.reporting)
    engine.api_routes.append(lambda app: add_routes(app, api))
    recorder = engine.recorder

    async def count_backlog() -> None:   # ended work stored before it was counted as it ends
        if recorder is not None and (counted := await recorder.count_backlog()):
            log.info("reports: %d interactions ended earlier counted into work_intervals",
                     counted)
    engine.in_background(count_backlog(), "report-backlog")


async def start_metrics(engine: Engine) -> None:
    """GET /metrics (Prometheus text format, docs/metrics.md): counts from the dispatcher's
    events from now on, gauges read at each scrape; first, so it sees the other parts' work."""
    from ccengine.api.metrics import add_routes
    from ccengine.reporting.metrics import EngineMetrics
    if engine.dispatcher is None:
        raise RuntimeError("metrics start after the dispatcher")
    metrics = EngineMetrics(engine.dispatcher)
    engine.metrics = metrics
    engine._stack.callback(metrics.close)
    engine.api_routes.append(
        lambda app: add_routes(app, metrics, lambda: engine.config.metrics.token))
    engine.reloaders.append(lambda new: metrics.reconfigure(new.queues))


async def start_wall(engine: Engine) -> None:
    """The supervisors' wallboard: its page (/wall/), feed (/ws/wall) and API (/api/wall),
    its tiles seeded with today's work from the store and what is live now."""
    from ccengine.api.desk_static import add_routes as add_pages
    from ccengine.api.wall import WALL_DIR, WallFeed
    from ccengine.api.wall import add_routes as add_wall
    from ccengine.reporting.live_tiles import LiveTiles
    from ccengine.store.work_intervals import queued_between
    d, db = engine.dispatcher, engine.db
    if d is None or db is None or engine.customers is None:
        raise RuntimeError("the wallboard starts after the store and the dispatcher")
    r = engine.settings.reporting
    tiles = LiveTiles(engine.queues, timezone=r.timezone,
                      short_abandon_seconds=r.short_abandon_seconds, variant=r.service_level,
                      clock=time.time)
    now = time.time()
    finished = [w for w in await queued_between(db, tiles.day_start, now)
                if w.ended_at is not None]
    live = [*await d.state.waiting()]
    for agent in (await d.state.agents()).values():
        for slot in agent.slots:
            interaction = await d.state.get_interaction(slot.interaction_id)
            if interaction is not None:
                live.append(interaction)
    tiles.seed(finished, live)
    customers = engine.customers

    async def customer_name(customer_id: str) -> str | None:
        view = await customers.get(customer_id)
        return view["name"] if view else None
    feed = WallFeed(d, tiles, lambda: engine.supervisors, customer_name)
    d.subscribe(feed.on_event)
    if engine.bus is not None:
        engine.bus.subscribe(feed.on_event)
    engine.in_background(feed.run(), "wallboard")
    engine.api_routes.append(lambda app: add_wall(app, feed))
    engine.api_routes.append(lambda app: add_pages(app, WALL_DIR, "/wall"))

    def reload_wall(new: Settings) -> None:
        tiles.configure(new.queues, new.reporting.timezone,
                        new.reporting.short_abandon_seconds, new.reporting.service_level)
    engine.reloaders.append(reload_wall)


async def start_queue_log(engine: Engine) -> None:
    """The queue log in app_queue's format (``reporting.queue_log``, docs/queue_log.md)."""
    from ccengine.reporting.queue_log_part import start
    await start(engine)


async def start_knowledge(engine: Engine) -> None:
    """The knowledge base: articles, search, the public pages (docs/knowledge.md)."""
    from ccengine.knowledge.part import start_knowledge as start
    await start(engine)


async def start_intents(engine: Engine) -> None:
    """The intent classifier, when intents are defined (docs/intents.md)."""
    from ccengine.intents.part import start_intents as start
    await start(engine)


async def start_campaigns(engine: Engine) -> None:
    """Outbound campaigns: the API, and customers' responses ending their campaigns
    (docs/campaigns.md)."""
    from ccengine.campaigns.part import start_campaigns as start
    await start(engine)


PARTS: tuple[Part, ...] = (
    start_metrics,
    start_queue_log,
    start_sip_guard,
    start_overload_guard,
    start_transfers,
    start_customers,
    start_recording,
    start_chat,
    start_outbound,
    start_email,
    start_waiting,
    start_supervision,
    start_ivr,
    start_phones,
    start_desk,
    start_reports,
    start_wall,
    start_knowledge,
    start_intents,
    start_campaigns,
)
