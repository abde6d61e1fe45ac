// Acting on one agent, in a dialog (Enter on the agent's Actions button opens it; Tab moves
// through it; Escape or Close gives the keyboard back to that button):
// - the agent's state, forced (POST /api/agents/{id}/force, recorded as the supervisor's
//   doing): log in or ready, not ready with a reason from the admins' list, log out;
// - a call: monitor, whisper or barge on the supervisor's own phone, which rings
//   (POST /api/calls/{id}/supervise), and stop (DELETE);
// - a chat or an email: read its messages (GET /api/interactions/{id}/messages), as text.
// The agent shown is the feed's: the dialog follows its state and work while it is open.
import { del, get, post } from "/desk/js/api.js";
import { normalise } from "/desk/js/conversation.js";
import { h, keyed, setText } from "/desk/js/dom.js";
import { duration, now, when } from "/desk/js/time.js";
import { stateSince } from "./agents.js";
import { STATES, customerText, mediumLabel, stateLabel } from "./labels.js";
import { state, subscribe } from "./store.js";

const CALLS = ["voice", "callback"];
const MODES = [["monitor", "Monitor", "listen"], ["whisper", "Whisper", "talk to the agent"],
  ["barge", "Barge", "talk to both"]];
let dialog = null;
let agentId = null;
let opener = null;
let refs = null;
const supervision = new Map();   // interaction id -> what GET /api/calls/{id} said, while open

function tell(text) {
  setText(refs.status, text);
}

async function act(what, path, body) {
  tell(`${what}…`);
  try {
    await post(path, body);
    tell(`${what}: done.`);
  } catch (e) {
    tell(`${what}: ${e.message}`);
  }
}

function force(what, body) {
  return act(what, `/api/agents/${encodeURIComponent(agentId)}/force`, body);
}

async function readSupervision(interactionId) {
  try {
    const call = await get(`/api/calls/${encodeURIComponent(interactionId)}`);
    supervision.set(interactionId, call.supervision || []);
  } catch {
    supervision.delete(interactionId);
  }
  if (refs) render(state);
}

async function supervise(slot, mode) {
  const path = `/api/calls/${encodeURIComponent(slot.interaction_id)}/supervise`;
  try {
    const view = mode ? await post(path, { mode }) : await del(path);
    if (!mode) tell("Supervision stopped.");
    else if (view.status === "ringing") tell(`Your phone is ringing: answer it to ${mode}.`);
    else tell(`You are now in ${mode} mode.`);
  } catch (e) {
    tell(e.message);
  }
  // what was read when the dialog opened is out of date now (the phone rings, or not)
  supervision.delete(slot.interaction_id);
  render(state);
}

async function readMessages(slot) {
  const { transcript, transcriptTitle } = refs;
  setText(transcriptTitle, `Conversation with ${customerText(slot.customer)}`);
  transcript.parentElement.hidden = false;
  try {
    const data = await get(`/api/interactions/${encodeURIComponent(slot.interaction_id)}/messages`);
    const messages = data.messages.map(normalise);
    transcript.replaceChildren(...messages.map((m) => h("li", {
      class: m.direction === "out" ? "message from-agent" : "message" },
    h("p", { class: "meta" }, `${m.author}, ${when(m.at)}`),
    h("p", { class: "body" }, m.subject ? `${m.subject}\n${m.text}` : m.text))));
    if (!messages.length) transcript.append(h("li", { class: "empty" }, "No messages yet."));
    tell(`${messages.length} messages read.`);
  } catch (e) {
    tell(e.message);
  }
}

function createSlot(slot) {
  const what = h("p", { class: "slot-line" });
  const watched = h("p", { class: "supervision" });
  const buttons = h("div", { class: "row" });
  const el = h("li", { class: "work-item" }, what, watched, buttons);
  el.refs = { what, watched, buttons, kind: "" };
  return el;
}

function renderSlot(el, slot, agent) {
  const { what, watched, buttons } = el.refs;
  const customer = customerText(slot.customer);
  setText(what, `${mediumLabel(slot.medium)}, ${(STATES[slot.state] || slot.state).toLowerCase()}`
    + ` for ${duration(now() - slot.since)}: ${customer}${slot.queue ? ` (${slot.queue})` : ""}`);
  const call = CALLS.includes(slot.medium);
  const kind = call ? (slot.state === "busy" ? "call" : "") : "messages";
  if (el.refs.kind !== kind) {
    el.refs.kind = kind;
    const who = agent.name || agent.id;
    if (kind === "call") {
      buttons.replaceChildren(...MODES.map(([mode, label, hint]) => h("button", {
        type: "button", class: `supervise-${mode}`, title: `On your phone: ${hint}`,
        "aria-label": `${label} on ${who}'s call with ${customer}`,
        onclick: () => supervise(slot, mode) }, label)),
      h("button", { type: "button", class: "supervise-stop",
        "aria-label": `Stop supervising ${who}'s call with ${customer}`,
        onclick: () => supervise(slot, null) }, "Stop"));
    } else if (kind === "messages") {
      buttons.replaceChildren(h("button", { type: "button", class: "read-messages",
        "aria-label": `Read ${mediumLabel(slot.medium).toLowerCase()} with ${customer}`,
        onclick: () => readMessages(slot) }, "Read"));
    } else {
      buttons.replaceChildren();
    }
  }
  const seen = supervision.get(slot.interaction_id) || [];
  setText(watched, seen.length ? `Supervised by ${seen.map((s) => `${s.supervisor_id} `
    + `(${s.mode}${s.status === "connected" ? "" : `, ${s.status}`})`).join(", ")}` : "");
  watched.hidden = !seen.length;
}

function render(s) {
  if (!refs || !agentId) return;
  const agent = s.agents.get(agentId);
  const { title, current, ready, notReady, reason, logout, work, none } = refs;
  if (!agent) {
    setText(current, "This agent is no longer on the board.");
    return;
  }
  setText(title, agent.name || agent.id);
  setText(current, `${stateLabel(agent)} for ${duration(now() - stateSince(agent))}`);
  const out = agent.presence === "logged_out";
  setText(ready, out ? "Log in" : "Ready");
  ready.disabled = agent.presence === "available";
  notReady.disabled = out;
  reason.disabled = out;
  logout.disabled = out;
  const codes = s.reasons.map((r) => r.code).join(",");
  if (reason.dataset.codes !== codes) {
    reason.dataset.codes = codes;
    reason.replaceChildren(...s.reasons.map((r) => h("option", { value: r.code },
      r.label || r.code)));
  }
  const slots = agent.slots || [];
  keyed(work, slots, (x) => x.interaction_id, createSlot,
    (el, slot) => renderSlot(el, slot, agent));
  none.hidden = slots.length > 0;
}

export function openActions(id, button) {
  agentId = id;
  opener = button;
  supervision.clear();
  tell("");
  refs.transcript.replaceChildren();
  refs.transcript.parentElement.hidden = true;
  render(state);
  dialog.showModal();
  for (const slot of (state.agents.get(id) || {}).slots || []) {
    if (CALLS.includes(slot.medium) && slot.state === "busy") readSupervision(slot.interaction_id);
  }
}

export function mountActions(root) {
  const title = h("h2", { id: "agent-dialog-title" });
  const current = h("p", { class: "current", id: "agent-dialog-state" });
  const status = h("p", { class: "dialog-status", id: "agent-dialog-status", role: "status" });
  const ready = h("button", { type: "button", id: "act-ready", class: "primary",
    onclick: () => force(ready.textContent, { state: "available" }) }, "Ready");
  const reason = h("select", { id: "act-reason", "aria-label": "Not-ready reason" });
  const notReady = h("button", { type: "button", id: "act-not-ready",
    onclick: () => force("Not ready", { state: "not_ready", reason: reason.value }) },
  "Not ready");
  const logout = h("button", { type: "button", id: "act-logout",
    onclick: () => force("Log out", { state: "logged_out" }) }, "Log out");
  const work = h("ul", { class: "work-list", "aria-labelledby": "agent-dialog-work" });
  const none = h("p", { class: "empty" }, "No work in hand.");
  const transcriptTitle = h("h3", { id: "transcript-title" });
  const transcript = h("ol", { class: "messages", "aria-labelledby": "transcript-title" });
  const close = h("button", { type: "button", id: "agent-dialog-close",
    onclick: () => dialog.close() }, "Close");
  dialog = h("dialog", { id: "agent-dialog", class: "agent-dialog",
    "aria-labelledby": "agent-dialog-title", "aria-describedby": "agent-dialog-state" },
  h("div", { class: "dialog-head" }, title, close), current,
  h("fieldset", {}, h("legend", {}, "State"),
    h("div", { class: "row" }, ready, reason, notReady, logout)),
  h("h3", { id: "agent-dialog-work" }, "Work"), work, none,
  h("section", { class: "transcript", hidden: true }, transcriptTitle, transcript),
  status);
  refs = { title, current, status, ready, notReady, reason, logout, work, none,
    transcript, transcriptTitle };
  dialog.addEventListener("close", () => {
    // the event comes a moment after closing: by then the dialog may be open again
    if (dialog.open) return;
    agentId = null;
    supervision.clear();
    if (opener && opener.isConnected) opener.focus();
  });
  root.append(dialog);
  const stop = subscribe(render);
  return () => {
    stop();
    if (dialog.open) dialog.close();
    dialog.remove();
    refs = null;
  };
}
