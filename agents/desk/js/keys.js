// Keyboard shortcuts (they work in text fields too, so a chatting agent can take a call):
// Alt+Shift+A accept and Alt+Shift+D decline the oldest offer, Alt+Shift+R ready,
// Alt+Shift+N not ready, Alt+Shift+H hang up, Alt+Shift+W finish wrap-up of the work shown,
// Alt+Shift+C call the customer of the preview shown, Alt+Shift+1..9 show work tab N.
// Every button is also reachable with Tab.
import { acceptOffer, declineOffer } from "./offers.js";
import { hangUp } from "./phone-view.js";
import { goNotReady, goReady } from "./presence.js";
import { state } from "./store.js";
import { selectWork } from "./tabs.js";

export const SHORTCUTS = [
  ["Alt+Shift+A", "Accept the oldest offer"],
  ["Alt+Shift+D", "Decline the oldest offer"],
  ["Alt+Shift+R", "Ready (or log in)"],
  ["Alt+Shift+N", "Not ready, with the reason chosen"],
  ["Alt+Shift+H", "Hang up"],
  ["Alt+Shift+W", "Finish wrap-up of the work shown"],
  ["Alt+Shift+C", "Call the customer of the preview shown"],
  ["Alt+Shift+1…9", "Show work tab 1…9"],
];

function oldestOffer() {
  const offers = [...state.offers.values()].sort((a, b) => (a.offered_at || 0) - (b.offered_at || 0));
  return offers.length ? offers[0].interaction_id : null;
}

/** A button of the work shown, when it is on screen and can be pressed. */
function shownButton(selector) {
  const button = document.querySelector(`#panel-${CSS.escape(state.selected || "")} ${selector}`);
  return button && !button.disabled && !button.closest("[hidden]") ? button : null;
}

function onKey(e) {
  if (!e.altKey || !e.shiftKey || e.ctrlKey || e.metaKey) return;
  const digit = /^Digit([1-9])$/.exec(e.code);
  let done = true;
  if (e.code === "KeyA" && oldestOffer()) acceptOffer(oldestOffer());
  else if (e.code === "KeyD" && oldestOffer()) declineOffer(oldestOffer());
  else if (e.code === "KeyR") goReady();
  else if (e.code === "KeyN") goNotReady(document.getElementById("not-ready-reason")?.value);
  else if (e.code === "KeyH") hangUp();
  else if (e.code === "KeyW") {
    document.querySelector(`#panel-${CSS.escape(state.selected || "")} .finish-wrapup`)?.click();
  } else if (e.code === "KeyC" && shownButton(".preview-call")) {
    shownButton(".preview-call").click();
  } else if (digit) {
    const id = [...state.work.keys()][Number(digit[1]) - 1];
    if (id) { selectWork(id); queueMicrotask(() => document.getElementById(`tab-${id}`)?.focus()); }
  } else done = false;
  if (done) e.preventDefault();
}

export function mountKeys() {
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
