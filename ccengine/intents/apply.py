"""What an intent does to work as it arrives: it is kept on the interaction (attribute
``intent``: name and confidence, shown in the screen pop) and recorded as an event; when the
classifier is confident enough (its threshold) and the intent has a route, the work goes to
that queue (if it takes the medium) or needs those skills."""

from __future__ import annotations

from collections.abc import Mapping

from ccengine.core.interaction import Interaction
from ccengine.core.queue import QueueConfig
from ccengine.intents.model import Classification
from ccengine.intents.settings import IntentSettings

INTENT = "intent"   # the interaction attribute: {"name", "confidence"}
REQUIRED_SKILLS = "required_skills"   # the attribute keeping skills an intent added


def apply_intent(interaction: Interaction, found: Classification, settings: IntentSettings,
                 queues: Mapping[str, QueueConfig], at: float) -> None:
    """Keep ``found`` on the interaction and follow its route (before it is queued)."""
    if found.intent is None:
        return
    interaction.attributes[INTENT] = {"name": found.intent,
                                      "confidence": round(found.confidence, 3)}
    route = next((d.route for d in settings.definitions if d.name == found.intent), None)
    routed: dict[str, object] = {}
    if route is not None and route.queue is not None:
        queue = queues.get(route.queue)
        if queue is not None and interaction.medium in queue.media:
            interaction.queue = queue.name
            interaction.sl_target_seconds = queue.sl_seconds
            routed["queue"] = queue.name
    if route is not None and route.skills:
        for skill, level in route.skills.items():
            interaction.required_skills[skill] = max(level,
                                                     interaction.required_skills.get(skill, 0))
        routed["skills"] = dict(route.skills)
        # kept with the record too: work queued again from it (a restart) needs them still
        interaction.attributes[REQUIRED_SKILLS] = dict(interaction.required_skills)
    interaction.record("classified", at, intent=found.intent,
                       confidence=round(found.confidence, 3), **routed)
