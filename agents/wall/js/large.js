// Large-screen mode: a denser board for a wall display (60+ agents on a 1920x1080 screen).
// The toggle is remembered in this browser (localStorage); ?large=1 (or ?large=0) in the
// address sets it for that page without changing what is remembered.
import { state, update } from "./store.js";

const KEY = "ccengine.wall.large";

function remembered() {
  try { return localStorage.getItem(KEY) === "1"; } catch { return false; }
}

/** At start: the address's choice, else the remembered one. */
export function applyLargeMode() {
  const asked = new URLSearchParams(location.search).get("large");
  setLarge(asked === "1" ? true : asked === "0" ? false : remembered(), false);
}

export function setLarge(large, remember = true) {
  if (remember) {
    try { localStorage.setItem(KEY, large ? "1" : "0"); } catch { /* private mode */ }
  }
  document.documentElement.classList.toggle("large", large);
  update((s) => { s.large = large; });
}

export function toggleLarge() {
  setLarge(!state.large);
}
