// Words for what the feed says in codes: agent states, media, figures and alerts. Numbers
// that are not there yet (an ASA before any answer) read as a dash.
import { duration } from "/desk/js/time.js";

export const STATES = { available: "Ready", offered: "Offered", busy: "Busy",
  wrap_up: "Wrap-up", not_ready: "Not ready", logged_out: "Logged out" };
export const STATE_ORDER = ["available", "offered", "busy", "wrap_up", "not_ready", "logged_out"];
export const MEDIA = { voice: "Voice", callback: "Callback", chat: "Chat", email: "Email" };

export const mediumLabel = (medium) => MEDIA[medium] || medium;

export function stateLabel(agent) {
  const label = STATES[agent.state] || agent.state;
  return agent.state === "not_ready" && agent.reason ? `${label} — ${agent.reason}` : label;
}

/** "87 %", or a dash for a figure with nothing to count yet. */
export function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)} %`;
}

/** "1:05", or a dash. */
export function seconds(value) {
  return value === null || value === undefined ? "—" : duration(value);
}

/** The customer of a piece of work as text: name and number (or address), or either. */
export function customerText(customer) {
  if (!customer) return "";
  const { name, contact } = customer;
  if (name && contact && name !== contact) return `${name} (${contact})`;
  return name || contact || "Unknown customer";
}

/** What an escalation alert says, in words. */
export function alertText(alert) {
  if (alert.kind === "raise_priority") return `Waited too long: priority raised by ${alert.detail}`;
  if (alert.kind === "transfer") return `Waited too long: moved to queue ${alert.detail}`;
  return String(alert.detail || "A customer has waited past the agreed time");
}
