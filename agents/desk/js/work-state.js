// The agent's work as the feed tells it: offers waiting for an answer and work in hand
// (busy, then wrap-up), kept in step with the slots of the agent's live state. A pop that
// was missed (a page reload, a reconnect) is asked for again through the API.
import { announce } from "./announce.js";
import { get } from "./api.js";
import { normalise } from "./conversation.js";
import { alertOffer } from "./notify.js";
import { isPreview, previewWords } from "./preview.js";
import { state, update } from "./store.js";

const MEDIA = { voice: "call", chat: "chat", email: "email", callback: "callback" };
const TITLES = { voice: "Call", chat: "Chat", email: "Email", callback: "Callback" };
const fetching = new Set();
let later = null;

export function mediumName(medium) {
  return MEDIA[medium] || medium;
}

/** The medium's name at the start of a line ("Call", "Chat"...). */
export function mediumTitle(medium) {
  return TITLES[medium] || medium;
}

/** What a piece of work is, at the start of a line: a campaign's call says so (it is the
 *  engine's callback machinery, but no callback the customer asked for). */
export function workTitle(medium, pop) {
  return pop && pop.campaign ? "Campaign call" : mediumTitle(medium);
}

export function customerName(pop) {
  const c = pop && pop.customer;
  return (c && c.name) || (pop && (pop.caller_name || pop.caller_number
    || (pop.details && (pop.details.visitor || pop.details.from)))) || "Unknown contact";
}

export function onOffer(pop) {
  update((s) => {
    // work already in hand (its state came first: a preview is the agent's at once) takes
    // its pop here, else it is an offer
    const item = s.work.get(pop.interaction_id);
    if (item && !item.pop) item.pop = pop;
    else s.offers.set(pop.interaction_id, pop);
  });
  if (isPreview(pop)) {   // not an offer: the work is theirs, waiting for Call or Skip
    announce(previewWords(pop));
    alertOffer("New preview", `${customerName(pop)} — ${pop.queue}`);
    reconcileWork({ now: false });
    return;
  }
  const what = `New ${mediumName(pop.medium)} offer from ${customerName(pop)}, queue ${pop.queue}`;
  announce(what, { assertive: true });
  alertOffer(`New ${mediumName(pop.medium)}`, `${customerName(pop)} — ${pop.queue}`);
  reconcileWork({ now: false });
}

async function popOf(interactionId) {
  if (fetching.has(interactionId)) return null;
  fetching.add(interactionId);
  try {
    return await get(`/api/interactions/${encodeURIComponent(interactionId)}/pop`);
  } catch {
    return null;
  } finally {
    fetching.delete(interactionId);
  }
}

function workItem(interactionId, slot, pop) {
  return { id: interactionId, medium: slot.medium, pop: pop || null, slot, unread: 0,
    messages: null, ended: false };
}

/**
 * Bring offers and work in line with the agent's slots. An offered slot whose pop has not
 * come yet is given a moment (the pop follows the state change) before it is asked for.
 */
export function reconcileWork({ now: immediately = false, cause = "", reason = "" } = {}) {
  const slots = (state.agent && state.agent.slots) || [];
  const live = new Map(slots.map((s) => [s.interaction_id, s]));
  const missing = [];
  update((s) => {
    for (const id of [...s.offers.keys()]) {
      const slot = live.get(id);
      if (!slot) s.offers.delete(id);
    }
    for (const [id, slot] of live) {
      if (slot.state === "offered") {
        if (!s.offers.has(id)) missing.push(id);
        continue;
      }
      let item = s.work.get(id);
      if (!item) {
        item = workItem(id, slot, s.offers.get(id));
        s.work.set(id, item);
        if (!item.pop) missing.push(id);
        if (!s.selected || !s.work.has(s.selected)) s.selected = id;
      }
      s.offers.delete(id);
      item.slot = slot;
    }
    for (const [id, item] of [...s.work.entries()]) {
      if (!live.has(id)) {
        if (item.draft) { item.released = true; continue; }  // notes typed: kept to save
        s.work.delete(id);
        if (s.selected === id) s.selected = s.work.size ? [...s.work.keys()][0] : null;
      }
    }
  });
  if (cause === "rona") announce("The offer was not answered: you are now not ready.", { assertive: true });
  if (cause === "forced") announce(`A supervisor set your state: ${describeState(state.agent)}.`, { assertive: true });
  if (!missing.length) return;
  if (immediately) { fetchPops(missing); return; }
  clearTimeout(later);
  later = setTimeout(() => fetchPops(missing), 1500);
}

async function fetchPops(ids) {
  for (const id of ids) {
    const slot = (state.agent && state.agent.slots || []).find((s) => s.interaction_id === id);
    if (!slot || (slot.state === "offered" && state.offers.has(id))) continue;
    if (slot.state !== "offered" && state.work.get(id) && state.work.get(id).pop) continue;
    const pop = await popOf(id);
    if (!pop) continue;
    update((s) => {
      if (slot.state === "offered") s.offers.set(id, pop);
      else if (s.work.has(id)) s.work.get(id).pop = pop;
    });
  }
}

export function describeState(agent) {
  if (!agent) return "not an agent";
  const words = { logged_out: "logged out", available: "ready", not_ready: "not ready",
    offered: "offered work", busy: "busy", wrap_up: "in wrap-up" };
  const word = words[agent.state] || agent.state;
  return agent.state === "not_ready" && agent.reason ? `${word} (${agent.reason})` : word;
}

/** Chat and email frames for work in hand. */
export function onConversationFrame(frame) {
  const item = state.work.get(frame.interaction_id) || null;
  if (!item) return;
  if (frame.type === "chat_message" || frame.type === "email_message") {
    update(() => {
      const message = normalise(frame.type === "chat_message" ? frame : frame.message);
      // before the transcript is loaded, kept for it: its read may predate this message
      const list = item.messages || (item.arrived = item.arrived || []);
      if (!list.some((m) => m.id === message.id)) list.push(message);
      if (state.selected !== item.id || document.hidden) item.unread += 1;
    });
    const who = customerName(item.pop);
    announce(`New ${frame.type === "chat_message" ? "chat message" : "email"} from ${who}`);
  } else if (frame.type === "chat_ended") {
    update(() => { item.ended = frame.reason || true; });
    announce(`The chat with ${customerName(item.pop)} ended.`);
  }
}
