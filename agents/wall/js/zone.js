// The reports' time zone (the engine's `reporting.timezone`) and the service-level variant
// shown first, as GET /api/reports answers them: learned once, with a one-row report of
// today, when a view that shows dates first needs them.
import { get } from "/desk/js/api.js";
import { today } from "./figures.js";

let asked = null;

/** {tz, variant}; empty strings when the engine could not be asked (asked again next time). */
export function reportDefaults() {
  if (!asked) {
    const query = new URLSearchParams({ from: today(), interval: "range", by: "queue" });
    asked = get(`/api/reports?${query}`)
      .then((r) => ({ tz: r.tz || "", variant: r.service_level_variant || "" }))
      .catch(() => {
        asked = null;
        return { tz: "", variant: "" };
      });
  }
  return asked;
}

/** Forget what was learned (signed out: the next session may be another engine's). */
export function forgetReportDefaults() {
  asked = null;
}
