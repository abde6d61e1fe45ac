// Screen-reader announcements: two ARIA live regions, polite for state changes and
// assertive for what needs the agent now (an offer, a lost connection).
import { h } from "./dom.js";

let polite = null;
let urgent = null;

export function mountAnnouncer(root) {
  polite = h("div", { class: "sr-only", role: "status", "aria-live": "polite",
    id: "announce-polite" });
  urgent = h("div", { class: "sr-only", role: "alert", "aria-live": "assertive",
    id: "announce-urgent" });
  root.append(polite, urgent);
}

let lastPolite = 0;
const TOGETHER_MS = 2000;

/** Say `text` to screen readers (and keep it in the region until the next one). */
export function announce(text, { assertive = false } = {}) {
  const region = assertive ? urgent : polite;
  if (!region) return;
  // a fresh node each time: the same words twice are read twice. Polite words said just
  // after others are added after them, so that both are read (a wrap-up finished just as
  // the next work came)
  const node = h("p", {}, text);
  if (assertive) { region.replaceChildren(node); return; }
  const at = Date.now();
  if (at - lastPolite < TOGETHER_MS) region.append(node); else region.replaceChildren(node);
  while (region.childElementCount > 3) region.firstElementChild.remove();
  lastPolite = at;
}
