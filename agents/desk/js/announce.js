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

/** Say `text` to screen readers (and keep it in the region until the next one). */
export function announce(text, { assertive = false } = {}) {
  const region = assertive ? urgent : polite;
  if (!region) return;
  // a fresh node each time: the same words twice are read twice
  region.replaceChildren(h("p", {}, text));
}
