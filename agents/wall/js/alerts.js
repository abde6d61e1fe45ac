// Escalation alerts: a queue's rule fired (a customer waited past the agreed time). Each
// stays on the board until a supervisor acknowledges it (POST /api/wall/alerts/{id}/ack;
// the feed then takes it off every board). New alerts are announced by the feed.
import { post } from "/desk/js/api.js";
import { h, keyed, setText } from "/desk/js/dom.js";
import { duration, now } from "/desk/js/time.js";
import { alertText, mediumLabel } from "./labels.js";
import { state, subscribe } from "./store.js";

let problem = null;

export async function acknowledge(alertId) {
  setText(problem, "");
  try {
    await post(`/api/wall/alerts/${encodeURIComponent(alertId)}/ack`);
  } catch (e) {
    setText(problem, `Not acknowledged: ${e.message}`);
  }
}

/** The oldest open alert's id, or null. */
export function oldestAlert() {
  const alerts = [...state.alerts.values()].sort((a, b) => a.at - b.at);
  return alerts.length ? alerts[0].id : null;
}

function create(alert) {
  const text = h("p", { class: "alert-text" });
  const meta = h("p", { class: "alert-meta" });
  const ack = h("button", { type: "button", class: "ack primary",
    onclick: () => acknowledge(alert.id) }, "Acknowledge");
  const el = h("li", { class: "alert", id: `alert-${alert.id}` },
    h("div", {}, text, meta), ack);
  el.refs = { text, meta, ack };
  return el;
}

function render(el, alert) {
  const { text, meta, ack } = el.refs;
  const words = alertText(alert);
  setText(text, words);
  setText(meta, `${alert.queue} · ${mediumLabel(alert.medium)} · `
    + `${duration(now() - alert.at)} ago`);
  ack.setAttribute("aria-label", `Acknowledge: ${words}`);
}

export function mountAlerts(section) {
  const title = h("h2", { id: "alerts-title", tabindex: "-1" }, "Alerts");
  const list = h("ul", { class: "alert-list", id: "alerts", "aria-labelledby": "alerts-title" });
  const none = h("p", { class: "empty none" }, "No open alerts.");
  problem = h("p", { class: "problem", role: "status" });
  section.replaceChildren(title, list, none, problem);
  return subscribe((s) => {
    const alerts = [...s.alerts.values()].sort((a, b) => a.at - b.at);
    // the keyboard was on an alert that goes: it moves to the next one (or the heading)
    const items = [...list.children];
    const at = items.findIndex((li) => li.contains(document.activeElement));
    keyed(list, alerts, (a) => a.id, create, render);
    if (at >= 0 && !items[at].isConnected) {
      const next = list.children[Math.min(at, list.children.length - 1)];
      (next ? next.querySelector("button") : title).focus();
    }
    none.hidden = alerts.length > 0;
    section.classList.toggle("has-alerts", alerts.length > 0);
  });
}
