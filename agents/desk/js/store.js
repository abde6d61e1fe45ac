// The desk's one state: what the feed and the API said, rendered by the screens. Nothing is
// kept twice: screens read it and ask for changes through the API; the feed brings the
// result back here.

import { makeStore } from "./observable.js";

const store = makeStore({
  session: null,      // {user: {id, role, name}, csrf_token}
  desk: null,         // GET /api/desk
  agent: null,        // the agent's live state (GET /api/agents/{id}, feed "state")
  feed: "closed",     // connecting | open | closed
  phone: { status: "none", call: null, error: "" },
  offers: new Map(),  // interaction id -> the offer's pop, while offered
  work: new Map(),    // interaction id -> {id, medium, pop, slot, unread, ...}, busy or wrap-up
  selected: null,     // the work item shown
  lookup: null,       // a customer looked up by a supervisor or admin, as a pop {customer}
  notice: "",         // a message for the agent (an API refusal, in words)
});

export const { state, subscribe, update } = store;

/** The slot of an interaction in the agent's live state, or null. */
export function slotOf(interactionId) {
  const slots = (state.agent && state.agent.slots) || [];
  return slots.find((s) => s.interaction_id === interactionId) || null;
}
