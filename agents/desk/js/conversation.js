// A chat's or an email's messages, shown the same way: who wrote, when, and the text as
// text (white-space kept by the style sheet, never parsed as HTML).
import { get } from "./api.js";
import { h, keyed, setText } from "./dom.js";
import { update } from "./store.js";
import { when } from "./time.js";

/** One message of either medium in one shape. */
export function normalise(m) {
  return {
    id: m.id,
    direction: m.direction || (m.from === "visitor" ? "in" : "out"),
    author: m.direction === "out" || m.from === "agent" ? (m.by || m.sender || "Agent")
      : (m.from_name || m.sender || (typeof m.from === "string" && m.from !== "visitor" ? m.from : "Customer")),
    text: m.text !== undefined ? m.text : (m.body || ""),
    subject: m.subject || "",
    at: m.at || m.created_at || 0,
    state: m.state || "",
    problem: m.problem || "",
  };
}

/** Read again the conversations already shown (after the feed was down a while). */
export function refreshConversations(items) {
  for (const item of items) {
    if (item.messages) loadMessages(item, { again: true });
  }
}

/** Load the conversation of a work item once (the feed adds what comes later). */
export async function loadMessages(item, { again = false } = {}) {
  if ((item.messages && !again) || item.loading) return;
  item.loading = true;
  try {
    const data = await get(`/api/interactions/${encodeURIComponent(item.id)}/messages`);
    update(() => {
      const loaded = data.messages.map(normalise);
      const known = new Set(loaded.map((m) => m.id));
      item.messages = [...loaded, ...later(item).filter((m) => !known.has(m.id))];
    });
  } catch {
    update(() => { item.messages = later(item); });
  } finally {
    item.loading = false;
  }
}

/** What the feed brought while (or before) the conversation was read; taken once. */
function later(item) {
  const arrived = item.arrived || [];
  item.arrived = undefined;
  const seen = new Set(arrived.map((m) => m.id));
  return [...(item.messages || []).filter((m) => !seen.has(m.id)), ...arrived];
}

function messageEl(m) {
  const author = h("span", { class: "author" });
  const time = h("time", { class: "at" });
  const subject = h("p", { class: "subject" });
  const body = h("p", { class: "body" });
  const status = h("span", { class: "delivery" });
  const el = h("li", { class: "message" }, h("p", { class: "meta" }, author, " ", time, " ", status),
    subject, body);
  el.refs = { author, time, subject, body, status };
  return el;
}

function refreshMessage(el, m) {
  el.className = `message ${m.direction === "in" ? "from-customer" : "from-agent"}`;
  setText(el.refs.author, m.author);
  setText(el.refs.time, when(m.at));
  setText(el.refs.subject, m.subject);
  el.refs.subject.hidden = !m.subject;
  setText(el.refs.body, m.text);
  setText(el.refs.status, m.problem ? `(${m.problem})` : m.state && m.state !== "sent"
    && m.direction === "out" ? `(${m.state})` : "");
}

/** The list element and its refresh: `render(messages)`. */
export function transcript(label) {
  const list = h("ol", { class: "messages" });
  const box = h("div", { class: "transcript", role: "log", "aria-label": label,
    "aria-live": "off", tabindex: "0" }, list);
  let count = 0;
  return {
    el: box,
    render(messages) {
      keyed(list, messages || [], (m) => m.id, messageEl, refreshMessage);
      if ((messages || []).length !== count) {
        count = (messages || []).length;
        box.scrollTop = box.scrollHeight;
      }
    },
  };
}
