// The report as a table: one row per interval and group, the figures of
// docs/supervisors.md "Reports" (durations m:ss, a dash where there is nothing to count),
// the service level in the engine's default variant first, then the other two; occupancy
// for rows by agent. The caption says the range, the interval and the time zone.
import { h } from "/desk/js/dom.js";
import { count, mss, percent } from "./figures.js";
import { mediumLabel } from "./labels.js";

const VARIANTS = {
  abandons_against: "abandons against",
  abandons_ignored: "abandons ignored",
  abandons_within_met: "early abandons met",
};
const GROUP_LABELS = { queue: "Queue", medium: "Medium", agent: "Agent" };
const INTERVAL_WORDS = { 15: "per 15 minutes", 30: "per 30 minutes", 60: "per hour",
  day: "per day", range: "over the whole range" };

const abbr = (short, long) => h("abbr", { title: long }, short);

/** The columns after the groups: [key, header (text or node), cell text of a row]. */
function columns(report) {
  const first = report.service_level_variant || "abandons_against";
  const variants = [first, ...Object.keys(VARIANTS).filter((v) => v !== first)];
  const cols = [
    ["offered", "Offered", (r) => count(r.offered)],
    ["answered", "Answered", (r) => count(r.answered)],
    ["abandoned", "Abandoned", (r) => count(r.abandoned)],
    ["short_abandoned", "Short abandons", (r) => count(r.short_abandoned)],
    ...variants.map((v, i) => [`sl_${v}`,
      [abbr("SL", "Service level"), `: ${VARIANTS[v] || v}${i === 0 ? " (default)" : ""}`],
      (r) => percent(r.service_level && r.service_level[v])]),
    ["asa_seconds", abbr("ASA", "Average speed of answer"), (r) => mss(r.asa_seconds)],
    ["aht_seconds", abbr("AHT", "Average handle time"), (r) => mss(r.aht_seconds)],
    ["talk_seconds", "Talk", (r) => mss(r.talk_seconds)],
    ["wrapup_seconds", "Wrap-up", (r) => mss(r.wrapup_seconds)],
    ["transfers", "Transfers", (r) => count(r.transfers)],
    ["callbacks", "Callbacks", (r) => count(r.callbacks)],
    ["first_response_seconds", "First response", (r) => mss(r.first_response_seconds)],
  ];
  if ((report.by || []).includes("agent")) {
    cols.push(["occupancy", "Occupancy", (r) => percent(r.occupancy)]);
  }
  return cols;
}

/** "2026-12-07 09:15" from "2026-12-07T09:15:00+01:00" (the report's own clock). */
function localTime(iso) {
  return String(iso || "").slice(0, 16).replace("T", " ");
}

function intervalText(row, report) {
  if (report.interval === "day") return String(row.interval_start).slice(0, 10);
  if (report.interval === "range") return `${localTime(report.from)} to ${localTime(report.to)}`;
  return localTime(row.interval_start);
}

function groupText(group, row) {
  const value = row[group];
  if (value === null || value === undefined || value === "") return "(none)";
  return group === "medium" ? mediumLabel(value) : String(value);
}

/** The caption's words: range, interval, groups, zone. */
export function captionText(report) {
  const by = report.by || [];
  const groups = by.length ? `by ${by.join(" and ")}` : "all queues together";
  const filters = [report.queue && `queue ${report.queue}`,
    report.medium && `medium ${mediumLabel(report.medium)}`].filter(Boolean);
  return `From ${localTime(report.from)} to ${localTime(report.to)} (${report.tz}), `
    + `${INTERVAL_WORDS[report.interval] || report.interval}, ${groups}`
    + (filters.length ? `; only ${filters.join(", ")}` : "");
}

/** Fill `table` (caption, thead, tbody) with the report. */
export function renderReport(table, report) {
  const by = report.by || [];
  const cols = columns(report);
  const caption = table.querySelector("caption");
  caption.textContent = captionText(report);
  const head = h("tr", {}, h("th", { scope: "col" }, "Interval"),
    ...by.map((g) => h("th", { scope: "col" }, GROUP_LABELS[g] || g)),
    ...cols.map(([key, label]) => h("th", { scope: "col", dataset: { figure: key } },
      label)));
  const rows = report.rows.map((row) => {
    const key = [row.interval_start, ...by.map((g) => row[g])].join("|");
    const tr = h("tr", { dataset: { key, interval: row.interval_start } },
      h("th", { scope: "row" }, intervalText(row, report)),
      ...by.map((g) => h("td", { class: "group", dataset: { group: g } }, groupText(g, row))),
      ...cols.map(([name, , text]) => h("td", { class: "num", dataset: { figure: name } },
        text(row))));
    for (const g of by) tr.dataset[g] = row[g] ?? "";
    return tr;
  });
  if (!rows.length) {
    rows.push(h("tr", {}, h("td", { colspan: String(1 + by.length + cols.length),
      class: "empty" }, "Nothing to report in this range.")));
  }
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(...rows);
}
