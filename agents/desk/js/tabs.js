// The work in hand, one tab per piece (a call, each chat, each email) with its unread count;
// the chosen one's panel below. Tabs follow the WAI-ARIA pattern: arrow keys move between
// them, Home and End go to the first and last.
import { callView } from "./call.js";
import { chatView } from "./chat.js";
import { h, keyed, setText } from "./dom.js";
import { emailView } from "./email.js";
import { callbackView } from "./preview.js";
import { state, subscribe, update } from "./store.js";
import { customerName, workTitle } from "./work-state.js";
import { wrapupView } from "./wrapup.js";

// a callback's view shows a preview campaign's Call and Skip first (preview.js)
const VIEWS = { voice: callView, callback: callbackView, chat: chatView, email: emailView };
const panels = new Map();   // interaction id -> {el, views}

export function selectWork(id) {
  update((s) => {
    s.selected = id;
    const item = s.work.get(id);
    if (item) item.unread = 0;
  });
}

function tabFor(item) {
  const label = h("span", { class: "tab-label" });
  const count = h("span", {});
  const unread = h("span", { class: "unread" }, count, h("span", { class: "sr-only" }, " unread"));
  const tab = h("button", { type: "button", role: "tab", class: "tab", id: `tab-${item.id}`,
    "aria-controls": `panel-${item.id}`, onclick: () => selectWork(item.id) }, label, unread);
  tab.refs = { label, unread, count };
  return tab;
}

function refreshTab(tab, item) {
  const selected = state.selected === item.id;
  tab.setAttribute("aria-selected", String(selected));
  tab.tabIndex = selected ? 0 : -1;
  const wrap = item.slot.state === "wrap_up" || item.released ? " (wrap-up)" : "";
  setText(tab.refs.label, `${workTitle(item.medium, item.pop)}: ${customerName(item.pop)}${wrap}`);
  setText(tab.refs.count, item.unread ? String(item.unread) : "");
  tab.refs.unread.hidden = !item.unread;
}

function panelFor(item) {
  let panel = panels.get(item.id);
  if (panel) return panel;
  const title = h("h2", { class: "work-title", id: `work-title-${item.id}` });
  const make = VIEWS[item.medium];
  const views = [make ? make(item) : null, wrapupView(item)].filter(Boolean);
  const el = h("section", { role: "tabpanel", id: `panel-${item.id}`, class: "work-panel",
    "aria-labelledby": `tab-${item.id}`, tabindex: "0" }, title, ...views.map((v) => v.el));
  panel = { el, title, views };
  panels.set(item.id, panel);
  return panel;
}

export function mountTabs(container) {
  const tablist = h("div", { role: "tablist", class: "tabs", id: "work-tabs",
    "aria-label": "Work in hand" });
  const holder = h("div", { class: "panels" });
  const empty = h("p", { class: "empty", id: "no-work" }, "No work in hand.");
  container.append(tablist, empty, holder);
  tablist.addEventListener("keydown", (e) => {
    const ids = [...state.work.keys()];
    const at = ids.indexOf(state.selected);
    let next = null;
    if (e.key === "ArrowRight") next = ids[(at + 1) % ids.length];
    if (e.key === "ArrowLeft") next = ids[(at - 1 + ids.length) % ids.length];
    if (e.key === "Home") next = ids[0];
    if (e.key === "End") next = ids[ids.length - 1];
    if (next) {
      e.preventDefault();
      selectWork(next);
      queueMicrotask(() => document.getElementById(`tab-${next}`)?.focus());
    }
  });
  return subscribe((s) => {
    const items = [...s.work.values()];
    empty.hidden = items.length > 0;
    keyed(tablist, items, (i) => i.id, tabFor, refreshTab);
    for (const id of [...panels.keys()]) {
      if (!s.work.has(id)) { panels.get(id).el.remove(); panels.delete(id); }
    }
    for (const item of items) {
      const panel = panelFor(item);
      if (panel.el.parentNode !== holder) holder.append(panel.el);
      panel.el.hidden = s.selected !== item.id;
      const c = item.pop && item.pop.queue ? ` — ${item.pop.queue}` : "";
      setText(panel.title, `${workTitle(item.medium, item.pop)} with ${customerName(item.pop)}${c}`);
      if (!panel.el.hidden) {
        for (const view of panel.views) view.refresh(item);
        if (item.unread && !document.hidden) item.unread = 0;
      }
    }
  });
}
