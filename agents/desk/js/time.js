// Times for people: "0:42", "12:05", "1:02:09"; the engine's clock is epoch seconds.

/** How long `seconds` is, as m:ss or h:mm:ss. */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
}

/** Seconds since the epoch, now, on the engine's clock as far as this page knows it. */
export function now() {
  return Date.now() / 1000 + clockSkew;
}

let clockSkew = 0;

/** The engine told us its time (epoch seconds): later `now()` calls follow its clock. */
export function syncClock(engineNow) {
  if (typeof engineNow === "number") clockSkew = engineNow - Date.now() / 1000;
}

/** A date and time for the history: "2 Dec 14:05". */
export function when(epochSeconds) {
  if (!epochSeconds) return "";
  const d = new Date(epochSeconds * 1000);
  return d.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit" });
}
