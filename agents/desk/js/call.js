// A call in hand: who is on it, and the controls the engine carries out on the call itself
// (transfer blind or attended to an agent, a queue or a number; conference; recording pause
// and resume). Hold, mute, the keypad and hang-up are the phone's (the phone panel).
import { announce } from "./announce.js";
import { get, post } from "./api.js";
import { h, setText } from "./dom.js";
import { tell } from "./desk.js";
import { currentPhone, hangUp } from "./phone-view.js";
import { state } from "./store.js";

const STATE_WORDS = { available: "available", busy: "busy", offered: "ringing",
  wrap_up: "in wrap-up", not_ready: "not ready", logged_out: "logged out" };

/** The agents and queues a call can go to, with who is free now. */
async function targets() {
  const [agents, queues] = await Promise.all([get("/api/agents"), get("/api/queues")]);
  return { agents: (agents.agents || agents).filter((a) => !state.agent || a.id !== state.agent.id),
    queues: (queues.queues || queues).filter((q) => (q.media || []).includes("voice")) };
}

function picker(id, { queues = true } = {}) {
  const kind = h("select", { id: `${id}-kind`, "aria-label": "Transfer to" },
    h("option", { value: "agent" }, "An agent"),
    queues ? h("option", { value: "queue" }, "A queue") : null,
    h("option", { value: "number" }, "A number"));
  const agent = h("select", { id: `${id}-agent`, "aria-label": "Agent" });
  const queue = h("select", { id: `${id}-queue`, "aria-label": "Queue", hidden: true });
  const number = h("input", { id: `${id}-number`, "aria-label": "Number", hidden: true,
    inputmode: "tel", autocomplete: "off", placeholder: "+44 20 7946 0123" });
  const show = () => {
    agent.hidden = kind.value !== "agent";
    queue.hidden = kind.value !== "queue";
    number.hidden = kind.value !== "number";
  };
  kind.addEventListener("change", show);
  // who is free changes all the time: the lists are asked for again when the agent goes
  // to choose
  for (const list of [agent, queue]) list.addEventListener("focus", () => load());
  async function load() {
    try {
      const found = await targets();
      const chosen = [agent.value, queue.value];
      agent.replaceChildren(h("option", { value: "" }, "Choose an agent…"),
        ...found.agents.map((a) => h("option", { value: a.id,
        disabled: a.state !== "available" }, `${a.name || a.id} — ${STATE_WORDS[a.state] || a.state}`)));
      queue.replaceChildren(h("option", { value: "" }, "Choose a queue…"),
        ...found.queues.map((q) => h("option", { value: q.name },
        `${q.name} (${q.waiting || 0} waiting)`)));
      [agent.value, queue.value] = chosen;
    } catch (e) { tell(e.message); }
  }
  return {
    el: h("div", { class: "picker" }, kind, agent, queue, number),
    load,
    target() {
      if (kind.value === "agent") return agent.value ? { agent: agent.value } : null;
      if (kind.value === "queue") return queue.value ? { queue: queue.value } : null;
      return number.value.trim() ? { number: number.value.trim() } : null;
    },
  };
}

export function callView(item) {
  const path = `/api/calls/${encodeURIComponent(item.id)}`;
  const parties = h("ul", { class: "parties", "aria-label": "On this call" });
  const transferTo = picker(`transfer-${item.id}`);
  const mode = h("select", { id: `transfer-mode-${item.id}`, "aria-label": "Transfer mode" },
    h("option", { value: "blind" }, "Blind"), h("option", { value: "attended" }, "Attended (consult first)"));
  const transfer = h("button", { type: "button", class: "transfer" }, "Transfer");
  const complete = h("button", { type: "button", class: "primary complete", hidden: true }, "Complete transfer");
  const cancel = h("button", { type: "button", class: "cancel-transfer", hidden: true }, "Cancel transfer");
  const conferenceTo = picker(`conference-${item.id}`, { queues: false });
  const conference = h("button", { type: "button", class: "conference" }, "Add to call");
  const pause = h("button", { type: "button", class: "rec-pause" }, "Pause recording");
  const resume = h("button", { type: "button", class: "rec-resume" }, "Resume recording");
  const record = h("button", { type: "button", class: "rec-start" }, "Start recording");
  const hold = h("button", { type: "button", class: "call-hold", "aria-pressed": "false" }, "Hold");
  const hangup = h("button", { type: "button", class: "danger call-hang-up" }, "Hang up");
  const status = h("p", { class: "call-status", role: "status" });

  let view = null;
  const refreshCall = async () => {
    try { view = await get(path); } catch { view = null; }
    parties.replaceChildren(...(view ? [
      h("li", {}, `Caller ${view.caller_number || ""}`.trim()),
      view.agent_id ? h("li", {}, `Agent ${view.agent_id}`) : null,
      ...(view.parties || []).map((p) => h("li", {}, `${p.role || "party"}: ${
        (p.target && (p.target.agent || p.target.number)) || p.channel || ""} (${p.state || ""})`)),
    ] : []));
    const consulting = Boolean(view && view.transfer);
    complete.hidden = cancel.hidden = !consulting;
    transfer.disabled = consulting;
  };
  const act = async (what, url, body, done) => {
    try {
      await post(url, body);
      if (done) { setText(status, done); announce(done); }
      tell("");
    } catch (e) {
      tell(e.message);
    }
    refreshCall();
  };

  transfer.addEventListener("click", () => {
    const to = transferTo.target();
    if (!to) { tell("Choose who to transfer to."); return; }
    act("transfer", `${path}/transfer`, { to, mode: to.queue ? "blind" : mode.value },
      mode.value === "attended" && !to.queue ? "Consulting: complete or cancel the transfer." : "Transferred.");
  });
  complete.addEventListener("click", () => act("complete", `${path}/transfer/complete`, {}, "Transfer completed."));
  cancel.addEventListener("click", () => act("cancel", `${path}/transfer/cancel`, {}, "Transfer cancelled: back with the caller."));
  conference.addEventListener("click", () => {
    const to = conferenceTo.target();
    if (!to) { tell("Choose who to add."); return; }
    act("conference", `${path}/conference`, { to }, "Calling them into the call.");
  });
  pause.addEventListener("click", () => act("pause", `${path}/recording/pause`, {}, "Recording paused."));
  resume.addEventListener("click", () => act("resume", `${path}/recording/resume`, {}, "Recording resumed."));
  record.addEventListener("click", () => act("start", `${path}/recording/start`, {}, "Recording started."));
  hold.addEventListener("click", () => {
    const phone = currentPhone();
    if (phone && phone.call) phone.hold(!phone.call.held);
  });
  hangup.addEventListener("click", () => hangUp());

  const controls = h("div", { class: "call-controls" },
    h("div", { class: "row", role: "group", "aria-label": "Call" }, hold, hangup),
    h("fieldset", {}, h("legend", {}, "Transfer"), transferTo.el, mode, transfer, complete, cancel),
    h("fieldset", {}, h("legend", {}, "Conference"), conferenceTo.el, conference),
    state.desk && state.desk.media && state.desk.media.recording
      ? h("fieldset", {}, h("legend", {}, "Recording"), pause, resume, record) : null);
  const el = h("div", { class: "call-view" }, parties, status, controls);
  transferTo.load();
  conferenceTo.load();
  refreshCall();
  let lastSlot = "";
  return {
    el,
    refresh(current) {
      controls.hidden = current.slot.state !== "busy";
      const phone = currentPhone();
      const mine = phone && phone.call;
      hold.hidden = !mine;
      hangup.hidden = !mine;
      if (mine) {
        setText(hold, mine.held ? "Resume" : "Hold");
        hold.setAttribute("aria-pressed", String(Boolean(mine.held)));
      }
      const key = `${current.slot.state}`;
      if (key !== lastSlot) { lastSlot = key; refreshCall(); transferTo.load(); conferenceTo.load(); }
    },
  };
}
