"""Domain errors: each has a stable ``code``; none knows anything of HTTP."""

from __future__ import annotations


class CoreError(Exception):
    code = "core_error"


class ConfigError(CoreError):
    """Bad configuration: names where (file:line or a path), the key and the problem."""

    code = "config_invalid"

    def __init__(self, where: str, key: str, message: str) -> None:
        self.where, self.key, self.message = where, key, message
        super().__init__(f"{where}: {key}: {message}")


class InvalidTransition(CoreError):
    """The agent state machine refused a transition; nothing changed."""

    code = "invalid_transition"


class NotInWrapUp(InvalidTransition):
    """Ending a wrap-up the agent is not in (over already, or the work is still going on)."""

    code = "not_in_wrap_up"


class UnknownAgent(CoreError, KeyError):
    code = "agent_not_found"

    def __str__(self) -> str:
        return f"no agent {self.args[0]!r}"


class UnknownQueue(CoreError, KeyError):
    code = "queue_not_found"

    def __str__(self) -> str:
        return f"no queue {self.args[0]!r}"


class UnknownInteraction(CoreError, KeyError):
    code = "interaction_not_found"

    def __str__(self) -> str:
        return f"no interaction {self.args[0]!r}"


class NoChannel(CoreError):
    """No channel adapter is registered for an interaction's medium."""

    code = "no_channel_for_medium"


class AgentUnavailable(CoreError):
    """A named agent cannot take the interaction now (not logged in, not available, no
    capacity, phone unreachable)."""

    code = "agent_unavailable"

    def __init__(self, agent_id: str, why: str = "not available for this work now") -> None:
        self.agent_id = agent_id
        super().__init__(f"agent {agent_id!r} is {why}")


class CustomerConflict(CoreError):
    """The interaction already belongs to another customer (merge the two instead)."""

    code = "customer_conflict"
