// Keyboard shortcuts (every control is also reachable with Tab and Enter):
// Alt+Shift+L large-screen mode on or off; Alt+Shift+K acknowledge the oldest alert.
import { acknowledge, oldestAlert } from "./alerts.js";
import { toggleLarge } from "./large.js";

export const SHORTCUTS = [
  ["Alt+Shift+L", "Large-screen mode on or off"],
  ["Alt+Shift+K", "Acknowledge the oldest alert"],
];

function onKey(e) {
  if (!e.altKey || !e.shiftKey || e.ctrlKey || e.metaKey) return;
  if (e.code === "KeyL") toggleLarge();
  else if (e.code === "KeyK" && oldestAlert()) acknowledge(oldestAlert());
  else return;
  e.preventDefault();
}

export function mountKeys() {
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
