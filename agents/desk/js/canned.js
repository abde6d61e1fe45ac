// Canned responses in a reply box: typing "/" and part of a shortcut lists the matching
// responses (GET /api/canned-responses); arrow keys choose, Enter or Tab inserts the text in
// place of "/shortcut", Escape closes the list.
import { announce } from "./announce.js";
import { get } from "./api.js";
import { h } from "./dom.js";

const TRIGGER = /(^|\s)\/([\w-]*)$/;
let counter = 0;

export function attachCanned(textarea, medium) {
  const id = `canned-${++counter}`;
  const list = h("ul", { class: "canned", id, role: "listbox", hidden: true,
    "aria-label": "Canned responses" });
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", id);
  let items = [];
  let active = -1;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    items = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  };
  const show = () => {
    list.replaceChildren(...items.map((r, i) => {
      const option = h("li", { id: `${id}-${i}`, role: "option", class: "canned-item",
        "aria-selected": String(i === active) },
      h("strong", {}, `/${r.shortcut}`), " ", r.title || "");
      option.addEventListener("mousedown", (e) => { e.preventDefault(); insert(i); });
      return option;
    }));
    list.hidden = items.length === 0;
    if (active >= 0) textarea.setAttribute("aria-activedescendant", `${id}-${active}`);
    else textarea.removeAttribute("aria-activedescendant");
  };
  const insert = (i) => {
    const chosen = items[i];
    if (!chosen) return;
    const before = textarea.value.slice(0, textarea.selectionStart);
    const after = textarea.value.slice(textarea.selectionEnd);
    const match = before.match(TRIGGER);
    const start = match ? before.length - match[0].length + match[1].length : before.length;
    textarea.value = before.slice(0, start) + chosen.text + after;
    const caret = start + chosen.text.length;
    textarea.setSelectionRange(caret, caret);
    close();
    announce(`Inserted ${chosen.title || chosen.shortcut}.`);
    textarea.dispatchEvent(new Event("input"));
  };

  textarea.addEventListener("input", async () => {
    const match = textarea.value.slice(0, textarea.selectionStart).match(TRIGGER);
    if (!match) { close(); return; }
    const ask = ++asked;
    try {
      const found = await get(`/api/canned-responses?q=${encodeURIComponent(match[2])}`
        + `&medium=${encodeURIComponent(medium)}`);
      if (ask !== asked) return;
      items = (found.responses || found || []).slice(0, 8);
      active = items.length ? 0 : -1;
      show();
      if (items.length) announce(`${items.length} canned responses. Up and down to choose, Enter to insert.`);
    } catch { close(); }
  });
  textarea.addEventListener("keydown", (e) => {
    if (list.hidden || !items.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      show();
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      e.stopImmediatePropagation();
      insert(active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  });
  textarea.addEventListener("blur", () => setTimeout(close, 150));
  return list;
}
