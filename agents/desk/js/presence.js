// The presence bar: who is signed in, the agent's state and the time in it, and the
// controls to log in, go ready or not ready (with a reason from the admins' list) and log
// out. The state shown is the feed's: a supervisor's change appears here at once.
import { post } from "./api.js";
import { h, setText } from "./dom.js";
import { tell } from "./desk.js";
import { ensureMicrophone } from "./phone-view.js";
import { signOut } from "./session.js";
import { state, subscribe } from "./store.js";
import { duration, now } from "./time.js";
import { describeState } from "./work-state.js";

const LABELS = { logged_out: "Logged out", available: "Ready", not_ready: "Not ready",
  offered: "Offered", busy: "Busy", wrap_up: "Wrap-up" };

function stateSince(agent) {
  const shown = agent.state;
  const slots = (agent.slots || []).filter((s) => s.state === shown);
  if (slots.length) return Math.min(...slots.map((s) => s.since));
  return agent.since || now();
}

async function act(path, body) {
  try {
    await post(path, body);
    tell("");
  } catch (e) {
    tell(e.message);
  }
}

export async function goReady() {
  const agent = state.agent;
  if (!agent) return;
  if (!(await ensureMicrophone())) return;
  const base = `/api/agents/${encodeURIComponent(agent.id)}`;
  if (agent.presence === "logged_out") await act(`${base}/login`);
  else await act(`${base}/ready`);
}

export async function goNotReady(reason) {
  const agent = state.agent;
  if (!agent || agent.presence === "logged_out") return;
  await act(`/api/agents/${encodeURIComponent(agent.id)}/not-ready`, { reason });
}

export function mountPresence(bar) {
  const name = h("span", { class: "who" });
  const badge = h("span", { class: "state", id: "agent-state" });
  const timer = h("span", { class: "timer", id: "state-timer", role: "timer",
    "aria-label": "Time in state" });
  const reasons = h("select", { id: "not-ready-reason", "aria-label": "Not-ready reason" });
  const ready = h("button", { type: "button", id: "go-ready", class: "primary",
    "aria-keyshortcuts": "Alt+Shift+R", onclick: () => goReady() }, "Ready");
  const notReady = h("button", { type: "button", id: "go-not-ready",
    "aria-keyshortcuts": "Alt+Shift+N", onclick: () => goNotReady(reasons.value) }, "Not ready");
  const logout = h("button", { type: "button", id: "log-out", onclick: () => {
    if (state.agent) act(`/api/agents/${encodeURIComponent(state.agent.id)}/logout`);
  } }, "Log out");
  const connection = h("span", { class: "connection", id: "connection" });
  const out = h("button", { type: "button", id: "sign-out", onclick: () => signOut() },
    "Sign out");
  const controls = h("div", { class: "presence-controls", role: "group",
    "aria-label": "Presence" }, ready, reasons, notReady, logout);
  bar.replaceChildren(h("span", { class: "brand" }, "ccengine desk"), name,
    h("span", { class: "state-box" }, badge, timer), controls, connection, out);

  let reasonCodes = "";
  return subscribe((s) => {
    const user = s.session && s.session.user;
    setText(name, user ? (user.name || user.id) : "");
    const agent = s.agent;
    controls.hidden = !agent;
    const list = (s.desk && s.desk.not_ready_reasons) || [];
    const codes = list.map((r) => r.code).join(",");
    if (codes !== reasonCodes) {
      reasonCodes = codes;
      reasons.replaceChildren(...list.map((r) => h("option", { value: r.code }, r.label || r.code)));
    }
    if (!agent) {
      setText(badge, user ? `Signed in as ${user.role}` : "");
      setText(timer, "");
      return;
    }
    const label = LABELS[agent.state] || agent.state;
    setText(badge, agent.state === "not_ready" && agent.reason ? `${label} — ${agent.reason}` : label);
    badge.className = `state state-${agent.state}`;
    badge.setAttribute("aria-label", `Your state: ${describeState(agent)}`);
    setText(timer, duration(now() - stateSince(agent)));
    const loggedOut = agent.presence === "logged_out";
    setText(ready, loggedOut ? "Log in" : "Ready");
    ready.disabled = agent.presence === "available";
    notReady.disabled = loggedOut || (agent.presence === "not_ready"
      && agent.reason === reasons.value);
    reasons.disabled = loggedOut;
    logout.disabled = loggedOut;
    const feed = s.feed === "open" ? "" : "Reconnecting to the engine…";
    const phone = s.phone.status === "connecting" ? "Phone connecting…" : "";
    setText(connection, [feed, phone].filter(Boolean).join(" "));
  });
}
