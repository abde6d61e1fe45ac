"""Recordings and voicemails through the API.

- ``POST /api/calls/{id}/recording/start|pause|resume``: the agent on the call, supervisors,
  admins (start: ``on_demand`` queues, 409 ``recording_not_allowed`` on ``never`` ones).
- ``GET /api/interactions/{id}/recordings``: the index rows the user may see.
- ``GET /api/recordings/{id}``: the audio (supervisors, admins; an agent for a call they
  handled, or a voicemail of their queue); 403 otherwise, 404 unknown.
- ``GET /api/voicemails?queue=&state=new|handled|all``: a queue's voicemails (its agents,
  its supervisors, admins); ``POST /api/voicemails/{id}/handled``.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from ccengine.api.http import DISPATCHER, current_user, error
from ccengine.core.errors import UnknownInteraction
from ccengine.store.recordings import RecordingView, UnknownRecording
from ccengine.telephony.recording.calls import RecordingNotAllowed
from ccengine.telephony.recording.feature import RecordingFeature, handled_by
from ccengine.telephony.recording.service import RecordingFailed
from ccengine.telephony.recording.settings import CONTENT_TYPES
from ccengine.telephony.voice import VoiceCall

RECORDING = web.AppKey("recording", RecordingFeature)
_ID = re.compile(r"^[0-9a-f]{32}$")
VOICEMAIL_STATES = {"new": False, "handled": True, "all": None}
MAX_LIMIT = 500


def _public(view: RecordingView) -> dict[str, Any]:
    """A recording as the API shows it: no file system path, a link to the audio."""
    out: dict[str, Any] = {k: v for k, v in view.items() if k not in ("path", "name")}
    out["audio"] = f"/api/recordings/{view['id']}" if view["state"] == "done" else None
    return out


# ---------------------------------------------------------------------- live calls
async def _call(request: web.Request) -> VoiceCall:
    """The live call in the path, if the user is its agent, a supervisor or an admin."""
    feature = request.app[RECORDING]
    iid = request.match_info["interaction_id"]
    try:
        call = feature.voice.call_of(iid)
    except UnknownInteraction:
        if await request.app[DISPATCHER].state.get_interaction(iid) is not None:
            raise error(409, "call_on_other_node", f"call {iid} is live on another engine "
                        "node: ask that node's API") from None
        raise
    user = current_user(request)
    if user.role not in ("supervisor", "admin") and user.id != call.agent_id:
        raise error(403, "forbidden", f"{user.id} is not the agent on call {iid}")
    return call


async def recording_action(request: web.Request) -> web.Response:
    call = await _call(request)
    calls = request.app[RECORDING].calls
    by = current_user(request).id
    action = request.match_info.route.resource.canonical.rsplit("/", 1)[1]  # type: ignore[union-attr]
    try:
        if action == "start":
            view = await calls.start(call, by)
        elif action == "pause":
            view = await calls.pause(call, by)
        else:
            view = await calls.resume(call, by)
    except RecordingNotAllowed as e:
        raise error(409, e.code, str(e)) from e
    except RecordingFailed as e:
        raise error(409, e.code, str(e)) from e
    return web.json_response(_public(view))


# ---------------------------------------------------------------------- the index
def _visible(request: web.Request, recordings: list[RecordingView],
             interaction: dict[str, Any] | None) -> list[RecordingView]:
    user = current_user(request)
    access = request.app[RECORDING].access
    agents = handled_by(interaction)
    return [r for r in recordings if access.may_hear(user.id, user.role, r, agents)]


async def interaction_recordings(request: web.Request) -> web.Response:
    feature = request.app[RECORDING]
    user = current_user(request)
    iid = request.match_info["interaction_id"]
    recordings = await feature.repo.for_interaction(iid)
    interaction: Any = await feature.interactions.get(iid)
    if interaction is None and not recordings:
        raise error(404, "interaction_not_found", f"no interaction {iid!r}")
    visible = _visible(request, recordings, interaction)
    if (recordings and not visible) or (not recordings and user.role == "agent"
                                        and user.id not in handled_by(interaction)):
        raise error(403, "forbidden", f"{user.id} may not see the recordings of {iid}")
    return web.json_response([_public(r) for r in visible])


async def recording_audio(request: web.Request) -> web.StreamResponse:
    feature = request.app[RECORDING]
    rid = request.match_info["recording_id"]
    view = await feature.repo.get(rid) if _ID.match(rid) else None
    if view is None:
        raise UnknownRecording(rid)
    interaction: Any = await feature.interactions.get(view["interaction_id"])
    if not _visible(request, [view], interaction):
        user = current_user(request)
        raise error(403, "forbidden", f"{user.id} may not hear recording {rid}")
    path = feature.files.resolve(view["path"])  # never outside the recordings directory
    return web.FileResponse(path, headers={
        "Content-Type": CONTENT_TYPES.get(view["format"], "application/octet-stream"),
        "Content-Disposition": f'attachment; filename="{rid}.{view["format"]}"',
        "Cache-Control": "no-store"})


# ---------------------------------------------------------------------- voicemails
async def voicemails(request: web.Request) -> web.Response:
    feature = request.app[RECORDING]
    user = current_user(request)
    mine = feature.access.queues_of(user.id, user.role)
    queue = request.query.get("queue")
    if queue is not None:
        if queue not in feature.access.queues:
            raise error(404, "queue_not_found", f"no queue {queue!r}")
        if queue not in mine:
            raise error(403, "forbidden", f"{user.id} does not work on queue {queue!r}")
        mine = [queue]
    state = request.query.get("state", "new")
    if state not in VOICEMAIL_STATES:
        raise error(400, "bad_state", f"state must be one of {sorted(VOICEMAIL_STATES)}")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        raise error(400, "bad_limit", f"limit must be a whole number 1-{MAX_LIMIT}")
    found = await feature.repo.voicemails(mine, handled=VOICEMAIL_STATES[state], limit=limit)
    return web.json_response([_public(v) for v in found])  # type: ignore[arg-type]


async def voicemail_handled(request: web.Request) -> web.Response:
    feature = request.app[RECORDING]
    user = current_user(request)
    rid = request.match_info["recording_id"]
    view = await feature.repo.get(rid) if _ID.match(rid) else None
    if view is None or view["kind"] != "voicemail":
        raise UnknownRecording(rid)
    if view["queue"] not in feature.access.queues_of(user.id, user.role):
        raise error(403, "forbidden", f"{user.id} does not work on queue {view['queue']!r}")
    return web.json_response(_public(await feature.repo.mark_handled(rid, user.id,
                                                                     feature.clock())))


def add_routes(app: web.Application, feature: RecordingFeature) -> None:
    app[RECORDING] = feature
    for action in ("start", "pause", "resume"):
        app.router.add_post(f"/api/calls/{{interaction_id}}/recording/{action}",
                            recording_action)
    app.router.add_get("/api/interactions/{interaction_id}/recordings",
                       interaction_recordings)
    app.router.add_get("/api/recordings/{recording_id}", recording_audio)
    app.router.add_get("/api/voicemails", voicemails)
    app.router.add_post("/api/voicemails/{recording_id}/handled", voicemail_handled)
