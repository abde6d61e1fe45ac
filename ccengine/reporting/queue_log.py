"""Lines of a queue log in the format of Asterisk's app_queue (docs/queue_log.md).

One line per event: ``epoch|callid|queue|agent|EVENT|param1|param2...``, each event with
the parameters app_queue (Asterisk 16, apps/app_queue.c) writes for it, in its order and
number. Pure: one function per event kind returns the line, without its newline.

Values are written as given, except that ``|`` (the separator) becomes ``_`` and line
breaks become spaces, so that no value can add a field or a line.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE = "NONE"  # app_queue's word for "no call", "no queue" or "no agent"

# every event this module writes, with the names of its parameters (app_queue's order)
PARAMETERS: dict[str, tuple[str, ...]] = {
    "ENTERQUEUE": ("url", "callerid", "position"),
    "CONNECT": ("holdtime", "bridged_uniqueid", "ringtime"),
    "COMPLETECALLER": ("holdtime", "calltime", "origposition"),
    "COMPLETEAGENT": ("holdtime", "calltime", "origposition"),
    "ABANDON": ("position", "origposition", "waittime"),
    "EXITWITHTIMEOUT": ("position", "origposition", "waittime"),
    "EXITWITHKEY": ("key", "position", "origposition", "waittime"),
    "RINGNOANSWER": ("ringtime_ms",),
    "RINGCANCELED": ("ringtime_ms",),
    "BLINDTRANSFER": ("extension", "context", "holdtime", "calltime", "origposition"),
    "ATTENDEDTRANSFER": ("method", "destination", "holdtime", "calltime", "origposition"),
    "AGENTLOGIN": ("channel",),
    "AGENTLOGOFF": ("channel", "logintime"),
    "PAUSE": ("reason",),
    "UNPAUSE": ("reason",),
    "PAUSEALL": ("reason",),
    "UNPAUSEALL": ("reason",),
}


def clean(value: object) -> str:
    """A value as one field: no separator, no line break."""
    text = str(value)
    if "|" in text or "\n" in text or "\r" in text:
        text = text.replace("|", "_").replace("\r", " ").replace("\n", " ")
    return text


def line(at: float, callid: str, queue: str, agent: str, event: str,
         *params: object) -> str:
    """One line; ValueError when ``event`` is not one of ours or its parameter count is
    not app_queue's."""
    names = PARAMETERS.get(event)
    if names is None:
        raise ValueError(f"unknown queue_log event {event!r}")
    if len(params) != len(names):
        raise ValueError(f"{event} takes {len(names)} parameters ({'|'.join(names)}), "
                         f"got {len(params)}")
    fields = [str(int(at)), clean(callid or NONE), clean(queue or NONE),
              clean(agent or NONE), event, *(clean(p) for p in params)]
    return "|".join(fields)


# ------------------------------------------------------------------------- calls
def enter_queue(at: float, callid: str, queue: str, url: str, callerid: str,
                position: int) -> str:
    """The call joins ``queue`` at ``position`` (1 = next to be served)."""
    return line(at, callid, queue, NONE, "ENTERQUEUE", url, callerid, position)


def connect(at: float, callid: str, queue: str, agent: str, holdtime: int,
            bridged_uniqueid: str, ringtime: int) -> str:
    """An agent took the call after ``holdtime`` s in the queue and ``ringtime`` s of
    ringing; ``bridged_uniqueid`` is the agent's leg."""
    return line(at, callid, queue, agent, "CONNECT", holdtime, bridged_uniqueid, ringtime)


def complete_caller(at: float, callid: str, queue: str, agent: str, holdtime: int,
                    calltime: int, origposition: int) -> str:
    """The caller ended a call after ``calltime`` s with the agent."""
    return line(at, callid, queue, agent, "COMPLETECALLER", holdtime, calltime, origposition)


def complete_agent(at: float, callid: str, queue: str, agent: str, holdtime: int,
                   calltime: int, origposition: int) -> str:
    """The agent (or the system) ended a call after ``calltime`` s."""
    return line(at, callid, queue, agent, "COMPLETEAGENT", holdtime, calltime, origposition)


def abandon(at: float, callid: str, queue: str, position: int, origposition: int,
            waittime: int) -> str:
    """The caller left the queue (hung up) before any agent took the call."""
    return line(at, callid, queue, NONE, "ABANDON", position, origposition, waittime)


def exit_with_timeout(at: float, callid: str, queue: str, position: int, origposition: int,
                      waittime: int) -> str:
    """The call left the queue at its maximum wait."""
    return line(at, callid, queue, NONE, "EXITWITHTIMEOUT", position, origposition, waittime)


def exit_with_key(at: float, callid: str, queue: str, key: str, position: int,
                  origposition: int, waittime: int) -> str:
    """The caller left the queue by pressing ``key``."""
    return line(at, callid, queue, NONE, "EXITWITHKEY", key, position, origposition, waittime)


def ring_no_answer(at: float, callid: str, queue: str, agent: str, ringtime_ms: int) -> str:
    """The agent did not take the call offered to them (no answer, rejected, unreachable)."""
    return line(at, callid, queue, agent, "RINGNOANSWER", ringtime_ms)


def ring_canceled(at: float, callid: str, queue: str, agent: str, ringtime_ms: int) -> str:
    """The caller left while the agent's phone rang."""
    return line(at, callid, queue, agent, "RINGCANCELED", ringtime_ms)


def blind_transfer(at: float, callid: str, queue: str, agent: str, extension: str,
                   context: str, holdtime: int, calltime: int, origposition: int) -> str:
    """The agent sent the call on to ``extension`` without staying on it."""
    return line(at, callid, queue, agent, "BLINDTRANSFER", extension, context, holdtime,
                calltime, origposition)


def attended_transfer(at: float, callid: str, queue: str, agent: str, bridge: str,
                      holdtime: int, calltime: int, origposition: int) -> str:
    """The agent handed the call over after talking to the target: app_queue's
    ``BRIDGE|<bridge>`` form (the target joined the call's bridge)."""
    return line(at, callid, queue, agent, "ATTENDEDTRANSFER", "BRIDGE", bridge, holdtime,
                calltime, origposition)


# ------------------------------------------------------------------------- agents
def agent_login(at: float, agent: str, channel: str) -> str:
    return line(at, NONE, NONE, agent, "AGENTLOGIN", channel)


def agent_logoff(at: float, agent: str, channel: str, logintime: int) -> str:
    """``logintime``: seconds logged in (0 when not known)."""
    return line(at, NONE, NONE, agent, "AGENTLOGOFF", channel, logintime)


def pause(at: float, queue: str, agent: str, reason: str) -> str:
    return line(at, NONE, queue, agent, "PAUSE", reason)


def unpause(at: float, queue: str, agent: str, reason: str) -> str:
    return line(at, NONE, queue, agent, "UNPAUSE", reason)


def pause_all(at: float, agent: str, reason: str) -> str:
    """Paused in every queue at once (written before that agent's PAUSE per queue)."""
    return line(at, NONE, NONE, agent, "PAUSEALL", reason)


def unpause_all(at: float, agent: str, reason: str) -> str:
    return line(at, NONE, NONE, agent, "UNPAUSEALL", reason)


# ------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class QueueLogLine:
    """One line read back (also from Asterisk's own queue_log)."""

    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    params: tuple[str, ...]


def parse(text: str) -> QueueLogLine:
    """A line of a queue_log file; ValueError when it has fewer than five fields."""
    fields = text.rstrip("\r\n").split("|")
    if len(fields) < 5:
        raise ValueError(f"not a queue_log line: {text!r}")
    # app_queue writes "EVENT|" for an event without parameters (QUEUESTART), as for one
    # whose only parameter is empty (PAUSE without a reason): both read as ("",)
    return QueueLogLine(int(fields[0]), fields[1], fields[2], fields[3], fields[4],
                        tuple(fields[5:]))
