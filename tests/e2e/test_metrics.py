"""GET /metrics on a real engine with real calls: sipp callers, one agent on baresip. Two
callers hang up while queued (one past the service-level threshold, one within it), one is
answered late and two at once; the counters match what the test did, and the service level
derived from ccengine_queue_wait_seconds is the one GET /api/queues/sales/service-level
reports (docs/metrics.md). Loopback needs no token; a request from the machine's own
non-loopback address does."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from tests.e2e.conftest import Rig, eventually
from tests.prom import Exposition
from tests.sip.sipp import CallerScript, SippCaller

pytestmark = pytest.mark.asterisk

SL_SECONDS = 5
TOKEN = "e2e-metrics-token-0123456789"
QUEUES = ("queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
          f"wrapup_seconds: 1, sl_seconds: {SL_SECONDS}}}, {{name: support, media: [voice], "
          "required_skills: {support: 1}, wrapup_seconds: 1}]")


def caller(hold_ms: int) -> CallerScript:
    """Presses 1 (sales), then hangs up ``hold_ms`` after the digit, queued or talking."""
    return CallerScript(digits="1", dtmf="info", audio=False, hold_ms=hold_ms)


async def done(*callers: SippCaller) -> None:
    for c in callers:
        assert await c.wait(40) == 0, c.errors()


async def metrics(rig: Rig, host: str = "127.0.0.1", token: str | None = None
                  ) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"http://{host}:{rig.engine.config.api.port}/metrics"
    async with rig.http.get(url, headers=headers) as r:
        return r.status, await r.text()


async def sales_wait(rig: Rig) -> float:
    view = await rig.call_api("GET", "/api/queues/sales", "sam")
    return max((i["wait_seconds"] for i in view["interactions"]), default=0.0)


@pytest.mark.parametrize("rig", [{"overrides": [QUEUES, f"metrics.token={TOKEN}"]}],
                         indirect=True)
async def test_given_answered_and_abandoned_calls_then_metrics_match_counts_and_report(
        rig: Rig) -> None:
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    # nobody logged in: one caller gives up after ~9 s, one after ~1.5 s
    late = await rig.place_call(caller(9000))
    early = await rig.place_call(caller(1500))
    await done(late, early)
    # a caller answered after more than the threshold: alice logs in once it waited 6.5 s
    slow = await rig.place_call(caller(12000))
    await eventually(lambda: _at_least(sales_wait(rig), SL_SECONDS + 1.5), 20,
                     "the caller waiting past the threshold")
    await rig.login("alice")
    await done(slow)
    # two callers answered at once
    for _ in range(2):
        await eventually(lambda: _is(rig, "alice", "available"), 15, "alice available")
        await done(await rig.place_call(caller(3500)))

    async def report() -> dict | None:
        level = await rig.call_api("GET", "/api/queues/sales/service-level", "sam")
        return level if level["interactions"] == 5 and level["pending"] == 0 else None
    level = await eventually(report, 15, "five calls stored in sales")
    assert (level["met"], level["missed"], level["ended_early"]) == (2, 2, 1), level

    status, text = await metrics(rig)                        # loopback, no token
    assert status == 200, text
    m = Exposition.parse(text)
    assert "7700900123" not in text and "@" not in text        # no caller in any label
    sales = {"queue": "sales", "medium": "voice"}
    assert m.value("ccengine_interactions_queued_total", **sales) == 5
    assert m.value("ccengine_interactions_offered_total", **sales) == 3
    assert m.value("ccengine_interactions_answered_total", **sales) == 3
    assert m.value("ccengine_interactions_abandoned_total", **sales) == 2
    assert m.value("ccengine_queue_wait_seconds_count", outcome="answered", **sales) == 3
    assert m.value("ccengine_queue_wait_seconds_count", outcome="abandoned", **sales) == 2
    derived = m.service_level("sales", SL_SECONDS, "voice")
    assert derived is not None and abs(derived - level["percent"]) < 0.1, (derived, level)
    # the other variants, from the same buckets (docs/metrics.md)
    assert m.service_level("sales", SL_SECONDS, variant="ignored") == pytest.approx(200 / 3)
    assert m.service_level("sales", SL_SECONDS, variant="against") == pytest.approx(40.0)
    assert m.service_level("sales", SL_SECONDS, variant="within_met") == pytest.approx(60.0)
    # live state and health, read at the scrape
    assert m.value("ccengine_queue_waiting", **sales) == 0
    assert m.value("ccengine_agents_logged_in") == 1
    for up in ("asterisk", "ari", "ami", "store", "state"):
        assert m.value(f"ccengine_{up}_up") == 1, up
    assert m.value("ccengine_admission_refusing") == 0

    # a reload giving sales a threshold that is no bucket yet: the bucket comes with it
    queues = tuple({**q, "sl_seconds": 7} if q["name"] == "sales" else q
                   for q in rig.engine.config.queues)
    await rig.engine.reload(replace(rig.engine.config, queues=queues))
    after = Exposition.parse((await metrics(rig))[1])
    assert after.value("ccengine_queue_service_level_seconds", queue="sales") == 7
    assert after.value("ccengine_queue_wait_seconds_bucket", le="7.0", **sales) == 0


def non_loopback_address() -> str | None:
    """This machine's address on its default route, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.254", 9))     # no packet is sent: it picks a source address
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.mark.parametrize("rig", [{"overrides": ["api.host=0.0.0.0", f"metrics.token={TOKEN}"]}],
                         indirect=True)
async def test_given_a_non_loopback_peer_then_metrics_need_a_token(rig: Rig) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    assert (await metrics(rig, "127.0.0.1"))[0] == 200
    assert (await metrics(rig, address))[0] == 401
    assert (await metrics(rig, address, "not-the-token-0123456789"))[0] == 401
    assert (await metrics(rig, address, rig.tokens["bob"]))[0] == 403   # an agent's
    status, text = await metrics(rig, address, TOKEN)
    assert status == 200 and "ccengine_build_info" in text
    assert (await metrics(rig, address, rig.tokens["admin"]))[0] == 200


async def _is(rig: Rig, agent: str, state: str) -> bool:
    return await rig.agent_state(agent) == state


async def _at_least(value, threshold: float) -> bool:  # type: ignore[no-untyped-def]
    return (await value) >= threshold
