"""The engine's lifecycle in one place: store, live state, dispatcher, private Asterisk, ARI,
AMI, the voice channel, the screen-pop feed and the API — started in order, stopped in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ccengine.api.admin import add_routes as add_admin
from ccengine.api.auth import TokenAuth
from ccengine.api.health import add_routes as add_health
from ccengine.api.http import build_api
from ccengine.api.phone import PhoneLine
from ccengine.api.session import start_signin
from ccengine.config import EngineConfig
from ccengine.core.media import Medium
from ccengine.cti.customers import CustomerContext
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.reload import Reloader, ReloadReport, reload
from ccengine.reporting.intervals import ReportOptions, sums_of
from ccengine.settings import Settings, build_users
from ccengine.state.base import LiveState
from ccengine.state.memory import MemoryState
from ccengine.store.agent_events import AgentEventRepository
from ccengine.store.consent import (
    ConsentLedger,
    ConsentSummary,
    DoNotCallList,
    EmailSuppressions,
)
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository
from ccengine.telephony.ami import AmiMonitor
from ccengine.telephony.ari.client import AriClient, ari_http_session
from ccengine.telephony.ari.router import AriEventRouter
from ccengine.telephony.asterisk.process import AsteriskProcess
from ccengine.telephony.asterisk.render import Rendered, render
from ccengine.telephony.asterisk.supervisor import AsteriskSupervisor
from ccengine.telephony.voice import VoiceChannel

log = logging.getLogger(__name__)

# media that ring the agent's phone: not offered while it is unregistered or unreachable
PHONE_MEDIA = (Medium.VOICE, Medium.CALLBACK)
ASTERISK_LOST = "asterisk_lost"   # the reason calls end with when Asterisk dies


@dataclass(frozen=True)
class Listening:
    api: str
    agent_feed: str
    ari: str
    sip: str      # callers and carriers
    phones: str   # agents' and supervisors' SIP phones register here


class Engine:
    """One running engine. ``async with Engine(config) as engine: ...`` or start()/stop()."""

    def __init__(self, config: EngineConfig,
                 load_config: Callable[[], EngineConfig] | None = None) -> None:
        self.config = config
        # how ``ccengine reload`` reads the config again (the command line's file and
        # overrides); without it the file the config came from, if any
        self.load_config = load_config or functools.partial(_load_again, config)
        self._take(Settings.load(config))
        self._stack = AsyncExitStack()
        self.rendered: Rendered | None = None
        self.db: Database | None = None
        self.state: LiveState | None = None
        self.dispatcher: Dispatcher | None = None
        self.feed: ScreenPopFeed | None = None
        self.recorder: InteractionRepository | None = None
        self.agent_events: AgentEventRepository | None = None
        self.bus: Any = None   # ccengine.state.bus.RedisEventBus: other nodes' events
        self.voice: VoiceChannel | None = None
        self.ami: AmiMonitor | None = None
        self.listening: Listening | None = None
        self.customers: CustomerRepository | None = None
        self.messages: MessageRepository | None = None
        # the consent ledger, the do-not-call list and suppressed addresses (campaigns)
        self.consent: ConsentLedger | None = None
        self.do_not_call: DoNotCallList | None = None
        self.email_suppressions: EmailSuppressions | None = None
        self.transfers: Any = None  # ccengine.telephony.transfers.Transfers once started
        self.recording: Any = None  # ccengine.telephony.recording.feature.RecordingFeature
        self.chat: Any = None  # ccengine.channels.chat.ChatChannel when chat is configured
        self.email: Any = None  # ccengine.channels.email.service.EmailChannel if configured
        self.knowledge: Any = None  # ccengine.store.knowledge.KnowledgeRepository (a store)
        self.intents: Any = None    # ccengine.intents.service.IntentService if defined
        self.campaigns: Any = None  # ccengine.store.campaigns.CampaignRepository
        self.waiting_room: Any = None  # ccengine.telephony.waiting.WaitingRoom once started
        self.outbound: Any = None  # ccengine.telephony.outbound.calls.OutboundCalls
        # ccengine.telephony.outbound.requests.CallbackRequests when callbacks can be dialled
        self.callback_requests: Any = None
        # API routes added by channels and features: each gets the app before it starts
        self.api_routes: list[Callable[[web.Application], None]] = []
        # checks run once every part has started (e.g. that configured actions have
        # executors); each raises ConfigError naming the key
        self.started_checks: list[Callable[[], None]] = []
        self.phones: Any = None  # ccengine.api.phone.PhoneRelay once the desk started
        self.asterisk: AsteriskProcess | None = None
        self._keep_asterisk = False
        self.recovered: Any = None  # what the start picked up (telephony/recovery.py)
        self.supervisor: AsteriskSupervisor | None = None
        self.sip_guard: Any = None  # ccengine.telephony.sip_guard.guard.SipGuard if enabled
        self.overload_guard: Any = None  # ccengine.telephony.overload.OverloadGuard
        self.metrics: Any = None  # ccengine.reporting.metrics.EngineMetrics (GET /metrics)
        # what each part does with new settings on a reload (ccengine/reload.py)
        self.reloaders: list[Reloader] = []
        self.api_app: web.Application | None = None
        self._reloading = asyncio.Lock()

    def _take(self, settings: Settings) -> None:
        """Make ``settings`` (the whole config, parsed and checked) the engine's."""
        self.settings = settings
        self.queues, self.agents = settings.queues, settings.agents
        self.supervisors = settings.supervisors
        self.ivr = settings.ivr
        self.flows = settings.ivr.flows
        self.chat_settings, self.email_config = settings.chat, settings.email
        self.waiting = settings.waiting
        self.dispositions = settings.dispositions
        self.not_ready_reasons = settings.not_ready_reasons
        self.canned_responses = settings.canned_responses
        self.recording_settings = settings.recording
        self.outbound_settings = settings.outbound
        self.webrtc = settings.webrtc
        self.sip_security = settings.sip_security
        self.overload = settings.overload

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            # an Asterisk found running keeps its calls; one started here stops
            self._keep_asterisk = self.asterisk is not None and self.asterisk.adopted
            await self._stack.aclose()
            raise

    async def _start(self) -> None:
        c = self.config
        c.runtime_dir.mkdir(parents=True, exist_ok=True)
        self.rendered = render(c)
        # records
        self.db = Database(c.store_url)
        await self.db.migrate()
        self._stack.push_async_callback(self.db.close)
        # live state
        self.state = await self._live_state()
        # the core
        self.dispatcher = Dispatcher(self.state, self.queues, self.agents,
                                     clock=time.time, offer_timeout=c.offer_timeout + 10)
        self.recorder = InteractionRepository(self.db, counter=self._count_work)
        self.customers = CustomerRepository(self.db, c.default_region)
        self.messages = MessageRepository(self.db)
        self.consent = ConsentLedger(self.db)
        self.do_not_call = DoNotCallList(self.db, c.default_region)
        self.email_suppressions = EmailSuppressions(self.db)
        customers = CustomerContext(self.customers)
        customers.rules = lambda: self.settings.next_best_action   # the pop's prompts
        customers.consent = ConsentSummary(self.consent, self.do_not_call)
        self.feed = ScreenPopFeed(enrich=customers.screen_pop, views=self.dispatcher)
        self.dispatcher.subscribe(self.feed.on_event)
        await self._share_events()
        self.dispatcher.subscribe(self.recorder.on_event)
        self.agent_events = AgentEventRepository(self.db)
        self.dispatcher.subscribe(self.agent_events.on_event)
        # Asterisk
        asterisk = AsteriskProcess(c, self.rendered)
        self.asterisk = asterisk
        if c.asterisk.manage:
            await asterisk.start()
            self._stack.push_async_callback(self._stop_asterisk)
        secrets = self.rendered.secrets
        http = await self._stack.enter_async_context(ari_http_session())
        ari = AriClient(asterisk.ari_url, secrets.ari_user, secrets.ari_password,
                        c.asterisk.app, http)
        router = AriEventRouter(ari)
        self.voice = VoiceChannel(ari, router, self.dispatcher, self.ivr.entry,
                                  persist=self.recorder.save, ring_timeout=c.offer_timeout,
                                  clock=time.time, identify=customers.link,
                                  flows_by_number=self.ivr.by_number, node=self.node)
        self.dispatcher.register_channel(self.voice)
        await self.dispatcher.start()
        self._stack.push_async_callback(self.dispatcher.stop)
        for agent_id in self.agents:  # until AMI says a phone is registered and reachable
            await self.dispatcher.set_device_reachable(agent_id, PHONE_MEDIA, False)
        self._stack.push_async_callback(router.close)   # after its task has stopped
        self.in_background(router.run(), "ari-events")
        async with asyncio.timeout(15):
            await router.connected.wait()
        # AMI: agents' phones reachable or not
        self.ami = AmiMonitor(c.asterisk.control_bind, c.asterisk.ami_port, secrets.ami_user,
                              secrets.ami_secret, self._on_contact)
        await self.ami.start()
        self._stack.push_async_callback(self.ami.stop)
        await self.ami.resync()
        # the other channels and features (each starts only if configured)
        for start_part in self._parts():
            await start_part()
        for check in self.started_checks:
            check()
        # what the engine before this one left: calls in Asterisk, work in live state
        await self._recover(ari, router)
        # from now on Asterisk is watched: lost, its calls end and it starts again
        self.supervisor = AsteriskSupervisor(
            asterisk if c.asterisk.manage else None, ari, router,
            on_lost=self._asterisk_lost, on_back=self._asterisk_back)
        self.in_background(self.supervisor.run(), "asterisk-supervisor")
        self.api_routes.append(lambda app: add_health(app, self._health_checks(ari)))
        self.api_routes.append(lambda app: add_admin(app, self.reload))
        # API (users sign in with the passwords in the store, their pages with a cookie)
        users = build_users(c)  # the config's users, as the API knows them
        auth = TokenAuth(users, secrets.api_tokens)
        signin = await start_signin(self.db, users, c.sessions)
        api = build_api(auth, self.dispatcher, self.feed, self.recorder, self.messages,
                        signin=signin, not_ready_reasons=self.not_ready_reasons)
        self.api_app = api
        self.reloaders.insert(0, self._reload_core)

        async def users_again(_settings: Settings) -> None:
            if self.db is not None:   # new users can sign in once given a password
                await start_signin(self.db, build_users(self.config), self.config.sessions)
        self.reloaders.append(users_again)
        for add_routes in self.api_routes:
            add_routes(api)
        runner = web.AppRunner(api, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, c.api.host, c.api.port)
        await site.start()
        base = f"http://{c.api.host}:{c.api.port}"
        self.listening = Listening(api=f"{base}/api", agent_feed=f"ws://{c.api.host}:"
                                   f"{c.api.port}/ws/agent", ari=asterisk.ari_url,
                                   sip=f"udp:{c.asterisk.bind}:{c.asterisk.sip_port}",
                                   phones=f"udp:{c.asterisk.bind}:{c.asterisk.phone_sip_port}")

    def in_background(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` as a task until the engine stops (cancelled then, and waited for)."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._stack.push_async_callback(stop)

    async def reload(self, config: EngineConfig | None = None) -> ReloadReport:
        """Read the config again (or take ``config``) and apply it live (reload.py):
        ConfigError, with file and key, when it is wrong; nothing changes then."""
        async with self._reloading:
            return await reload(self, config or self.load_config())

    def _reload_core(self, settings: Settings) -> None:
        """The voice channel's flows and ring time, and what the API reads of the config."""
        from ccengine.api.http import AUTH, NOT_READY_REASONS
        from ccengine.api.interaction_notes import DISPOSITIONS
        c = self.config
        if self.voice is not None:
            self.voice.flow = settings.ivr.entry
            self.voice.flows_by_number = dict(settings.ivr.by_number)
            self.voice.ring_timeout = c.offer_timeout
        if self.api_app is not None and self.rendered is not None:
            self.api_app[AUTH].replace(build_users(c), self.rendered.secrets.api_tokens)
            self.api_app[NOT_READY_REASONS].value = settings.not_ready_reasons
            if DISPOSITIONS in self.api_app:
                self.api_app[DISPOSITIONS].value = settings.dispositions

    async def _asterisk_lost(self, reason: str) -> None:
        """Asterisk died: every call on it ends (``asterisk_lost``), their agents are freed
        and nobody's phone counts as reachable until Asterisk is back."""
        if self.voice is None or self.dispatcher is None or self.state is None:
            return
        dropped = await self.voice.drop_all(ASTERISK_LOST)
        for interaction in await self.state.interactions():
            node = interaction.attributes.get("node")
            if interaction.medium not in PHONE_MEDIA or node not in (None, self.node):
                continue
            if interaction.medium == Medium.CALLBACK and "connected" not in {
                    e.kind for e in interaction.events}:
                if interaction.agent_id:   # a callback not dialled yet waits on
                    await self.dispatcher.withdraw(interaction.id, interaction.agent_id,
                                                   ASTERISK_LOST)
                continue
            await self.dispatcher.lost(interaction.id, ASTERISK_LOST)
        await self.dispatcher.forget_stale_slots(ASTERISK_LOST)
        for agent_id in self.agents:
            await self.dispatcher.set_device_reachable(agent_id, PHONE_MEDIA, False)
        log.info("%d call(s) ended with Asterisk (%s)", dropped, reason)

    async def _asterisk_back(self) -> None:
        if self.ami is not None:
            with contextlib.suppress(Exception):
                await self.ami.resync()   # phones registered before are known again
        if self.dispatcher is not None:
            await self.dispatcher.route()

    def _health_checks(self, ari: AriClient) -> dict[str, Any]:
        async def asterisk() -> dict[str, Any]:
            process, supervisor = self.asterisk, self.supervisor
            alive = process.alive() if process is not None and self.config.asterisk.manage \
                else True
            return {"ok": bool(supervisor and supervisor.up and alive),
                    "pid": process.pid if process else None,
                    "adopted": bool(process and process.adopted),
                    "outages": supervisor.outages if supervisor else 0,
                    "last_outage": supervisor.last_outage if supervisor else None}

        async def ari_events() -> dict[str, Any]:
            return {"ok": ari.events_up}

        async def ami() -> dict[str, Any]:
            return {"ok": bool(self.ami and self.ami.up)}

        async def store() -> dict[str, Any]:
            assert self.db is not None
            await self.db.ping()
            return {"ok": True, "dialect": self.db.dialect}

        async def live_state() -> dict[str, Any]:
            assert self.state is not None
            await self.state.ping()
            return {"ok": True, "backend": self.config.state_backend}
        async def admission() -> dict[str, Any]:
            # refusing new callers (overload.py) is a degraded service, said as such
            guard = self.overload_guard
            return guard.view() if guard is not None else {"ok": True, "enabled": False}
        return {"asterisk": asterisk, "ari": ari_events, "ami": ami, "store": store,
                "live_state": live_state, "admission": admission}

    @property
    def node(self) -> str:
        """This engine (with its Asterisk): its host and runtime directory."""
        return f"{socket.gethostname()}:{self.config.runtime_dir}"

    async def _recover(self, ari: AriClient, router: AriEventRouter) -> None:
        """Pick up the calls and work an engine before this one left (recovery.py);
        stored interactions that claim to be live and are not end as ``lost``."""
        from ccengine.telephony.recovery import LOST, CallRecovery
        if self.dispatcher is None or self.state is None or self.recorder is None:
            raise RuntimeError("recovery runs once the core and the store are up")
        dids = {f"ccengine-trunk-{t.name}": dict(t.dids)
                for t in self.outbound_settings.trunks}
        self.recovered = await CallRecovery(
            ari, router, self.dispatcher, node=self.node,
            service_numbers=self.config.service_numbers, dids=dids).run()
        for interaction in await self.state.interactions():
            if interaction.medium == Medium.CHAT and (
                    self.chat is None or self.chat.sessions.get(interaction.id) is None):
                await self.dispatcher.lost(interaction.id, LOST)  # its visitor's session
        live = [i.id for i in await self.state.interactions()]
        ended = await self.recorder.end_stale(live, time.time(), LOST)
        if ended:
            log.info("%d stored interaction(s) claimed to be live and were not: ended (%s)",
                     len(ended), LOST)

    def phone_lines(self) -> dict[str, PhoneLine]:
        """Every agent's and supervisor's phone: its kind and SIP password."""
        if self.rendered is None:
            raise RuntimeError("phone lines are known once Asterisk's config is rendered")
        passwords = self.rendered.secrets.sip_passwords
        people = [*self.agents.values(), *self.supervisors.values()]
        return {p.id: PhoneLine(p.id, p.name, p.phone, passwords[p.id]) for p in people}

    def _parts(self) -> list[Callable[[], Awaitable[None]]]:
        """Starters of the channels and features beyond voice (ccengine/parts.py)."""
        from ccengine.parts import PARTS
        return [functools.partial(part, self) for part in PARTS]

    async def _live_state(self) -> LiveState:
        if self.config.state_backend == "redis":
            from ccengine.state.redis import RedisState
            state = await RedisState.connect(self.config.redis_url, self.config.redis_prefix)
            self._stack.push_async_callback(state.close)
            return state
        memory = MemoryState.load(self.config.runtime_dir / "live-state.json")
        self._stack.push_async_callback(memory.close)
        return memory

    async def _share_events(self) -> None:
        """With Redis live state, events travel between engine nodes, so an agent whose
        feed is open on another node still gets its screen pop."""
        from ccengine.state.redis import RedisState
        if not isinstance(self.state, RedisState) or self.dispatcher is None \
                or self.feed is None:
            return
        from ccengine.state.bus import RedisEventBus
        bus = RedisEventBus(self.state.r, f"{self.config.redis_prefix}events",
                            uuid.uuid4().hex)
        await bus.start()
        self._stack.push_async_callback(bus.stop)
        self.dispatcher.subscribe(bus.publish)
        bus.subscribe(self.feed.on_event)
        self.bus = bus

    def _count_work(self, work: Any) -> dict[str, float]:
        """An ended interaction's report figures, with today's thresholds (the recorder
        keeps them per quarter hour: store/work_intervals.py)."""
        return sums_of(work, ReportOptions(
            by=(), thresholds={n: q.sl_seconds for n, q in self.queues.items()},
            short_abandon_seconds=self.settings.reporting.short_abandon_seconds))

    async def _on_contact(self, aor: str, reachable: bool) -> None:
        if self.dispatcher is not None and aor in self.agents:
            await self.dispatcher.set_device_reachable(aor, PHONE_MEDIA, reachable)

    async def _stop_asterisk(self) -> None:
        if self.asterisk is None:
            return
        if self._keep_asterisk:
            log.info("leaving Asterisk (pid %s) running with its calls: the next start "
                     "adopts it ('ccengine stop' stops both)", self.asterisk.pid)
            return
        await self.asterisk.stop()

    async def stop(self, *, keep_asterisk: bool = False) -> None:
        """Stop the engine; with ``keep_asterisk`` its Asterisk and every call on it go on
        (an upgrade or a restart: the next start adopts them)."""
        self._keep_asterisk = keep_asterisk
        if keep_asterisk and self.voice is not None:
            self.voice.detach()
        await self._stack.aclose()


def _load_again(config: EngineConfig) -> EngineConfig:
    """The config read again from the file it came from (the embedded defaults without
    one); environment overrides apply again, command-line ones are not known here."""
    from pathlib import Path

    from ccengine.config import load_config
    path = Path(config.source)
    return load_config(path if path.is_file() else None)
