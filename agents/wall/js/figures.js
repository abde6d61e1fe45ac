// Report and staffing figures as text: counts, percentages with at most one decimal,
// durations as m:ss (rounded to the second); a figure with nothing to count is an en dash.
import { duration } from "/desk/js/time.js";

export const NONE = "–";

const missing = (value) => value === null || value === undefined;

/** A count, or a dash. */
export function count(value) {
  return missing(value) ? NONE : String(value);
}

/** A number with at most one decimal: 66.67 -> "66.7", 50 -> "50". */
export function decimal(value) {
  return missing(value) ? NONE : String(Math.round(value * 10) / 10);
}

/** A percentage (the API's 0-100): "66.7 %". */
export function percent(value) {
  return missing(value) ? NONE : `${decimal(value)} %`;
}

/** A fraction (0-1) as a percentage: 0.8884 -> "88.8 %". */
export function share(value) {
  return missing(value) ? NONE : percent(value * 100);
}

/** Seconds as m:ss (h:mm:ss past an hour), rounded to the second. */
export function mss(value) {
  return missing(value) ? NONE : duration(Math.round(value));
}

/** Today's date (YYYY-MM-DD) in `zone` (an IANA name; the browser's own if none). */
export function today(zone) {
  const parts = (z) => new Intl.DateTimeFormat("en-CA", { timeZone: z || undefined,
    year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date());
  let found;
  try { found = parts(zone); } catch { found = parts(undefined); }
  const get = (type) => found.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** The day after a date (YYYY-MM-DD). */
export function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** A clock time (HH:MM) of epoch seconds in `zone` (the browser's own if none). */
export function clockTime(epochSeconds, zone) {
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: zone || undefined })
      .format(new Date(epochSeconds * 1000));
  } catch {
    return new Intl.DateTimeFormat("en-GB", options).format(new Date(epochSeconds * 1000));
  }
}

/** A date and clock time ("2026-05-04 10:31") of epoch seconds in `zone`, or a dash. */
export function dateTime(epochSeconds, zone) {
  if (missing(epochSeconds)) return NONE;
  const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23" };
  let format;
  try {
    format = new Intl.DateTimeFormat("en-CA", { ...options, timeZone: zone || undefined });
  } catch {
    format = new Intl.DateTimeFormat("en-CA", options);
  }
  const parts = format.formatToParts(new Date(epochSeconds * 1000));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/** The browser's time zone name (e.g. Europe/Paris), or "". */
export function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch { return ""; }
}
