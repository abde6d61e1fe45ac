// The agent grid: each agent's state (with the not-ready reason), the time in that state
// (ticking), the work in each medium slot with its customer (names and numbers are shown
// as text, never markup) and a button that opens the actions on that agent.
import { h, keyed, setText } from "/desk/js/dom.js";
import { duration, now } from "/desk/js/time.js";
import { openActions } from "./actions.js";
import { STATES, customerText, mediumLabel, stateLabel } from "./labels.js";
import { subscribe } from "./store.js";

/** When the agent's shown state began: its slot's (busy, offered, wrap-up) or presence's. */
export function stateSince(agent) {
  const slots = (agent.slots || []).filter((s) => s.state === agent.state);
  if (slots.length) return Math.min(...slots.map((s) => s.since));
  return agent.since || now();
}

function createSlot() {
  const medium = h("span", { class: "slot-medium" });
  const what = h("span", { class: "slot-state" });
  const name = h("span", { class: "name" });
  const contact = h("span", { class: "contact" });   // besides a name: left out on a wall
  const customer = h("span", { class: "slot-customer" }, name, contact);
  const time = h("span", { class: "slot-time" });
  const el = h("li", { class: "slot" }, medium, " ", what, " ", time, " ", customer);
  el.refs = { medium, what, name, contact, time };
  return el;
}

function renderSlot(el, slot) {
  const { medium, what, name, contact, time } = el.refs;
  setText(medium, mediumLabel(slot.medium));
  // "busy" goes without saying (the agent's badge says it); offered and wrap-up do not
  setText(what, slot.state === "busy" ? "" : (STATES[slot.state] || slot.state).toLowerCase());
  const who = customerText(slot.customer);
  const { name: known, contact: reached } = slot.customer || {};
  const both = Boolean(known && reached && known !== reached);
  setText(name, both ? known : who);
  setText(contact, both ? ` (${reached})` : "");
  setText(time, duration(now() - slot.since));
  el.className = `slot slot-${slot.state}`;
  el.dataset.medium = slot.medium;
  el.title = slot.queue ? `${who}, queue ${slot.queue}` : who;
}

function create(agent) {
  const name = h("h3", { class: "agent-name" });
  const badge = h("span", { class: "agent-state" });
  const time = h("span", { class: "agent-time" });
  const work = h("ul", { class: "agent-work" });
  const actions = h("button", { type: "button", class: "agent-actions",
    onclick: () => openActions(agent.id, actions) }, "Actions");
  const el = h("li", { class: "agent" }, h("div", { class: "agent-head" }, name, actions),
    h("p", { class: "agent-status" }, badge, " ", h("span", { class: "sr-only" }, "for"), " ",
      time), work);
  el.refs = { name, badge, time, work, actions };
  return el;
}

function render(el, agent) {
  const { name, badge, time, work, actions } = el.refs;
  const who = agent.name || agent.id;
  setText(name, who);
  setText(badge, stateLabel(agent));
  setText(time, duration(now() - stateSince(agent)));
  el.className = `agent state-${agent.state}`;
  actions.setAttribute("aria-label", `Actions for ${who}`);
  keyed(work, agent.slots || [], (s) => s.interaction_id, createSlot, renderSlot);
  work.hidden = !(agent.slots || []).length;
}

export function mountAgents(section) {
  const title = h("h2", { id: "agents-title" }, "Agents");
  const summary = h("p", { class: "agents-summary" });
  const list = h("ul", { class: "agents", id: "agents", "aria-labelledby": "agents-title" });
  section.replaceChildren(h("div", { class: "section-head" }, title, summary), list);
  return subscribe((s) => {
    const agents = [...s.agents.values()];
    keyed(list, agents, (a) => a.id, create, render);
    const on = agents.filter((a) => a.state !== "logged_out").length;
    setText(summary, `${on} of ${agents.length} logged in`);
  });
}
