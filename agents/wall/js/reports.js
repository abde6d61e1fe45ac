// The reports view, over GET /api/reports (docs/supervisors.md "Reports"): a form (the
// range as dates, from and to both included; the interval; what to group by; a queue and
// a medium to keep; the time zone, by default the engine's), then the report as a table
// and a link to the same report as CSV (a plain link: the session cookie goes with it).
// The API's objections (a 400 with its message) are shown under the form and announced.
import { announce } from "/desk/js/announce.js";
import { get } from "/desk/js/api.js";
import { h, setText } from "/desk/js/dom.js";
import { browserZone, nextDay, today } from "./figures.js";
import { MEDIA } from "./labels.js";
import { renderReport } from "./report-table.js";
import { subscribe } from "./store.js";
import { reportDefaults } from "./zone.js";

const INTERVALS = [["15", "15 minutes"], ["30", "30 minutes"], ["60", "60 minutes"],
  ["day", "Day"], ["range", "Whole range"]];
const GROUPS = [["queue", "Queue"], ["medium", "Medium"], ["agent", "Agent"]];

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint);
}

/** The query the form asks for (URLSearchParams), `to` made exclusive (the next day). */
function queryOf(refs) {
  const { from, to, interval, groups, queue, medium, tz } = refs;
  const query = new URLSearchParams({ from: from.value });
  if (to.value) query.set("to", /^\d{4}-\d{2}-\d{2}$/.test(to.value) ? nextDay(to.value) : to.value);
  query.set("interval", interval.value);
  query.set("by", groups.filter((g) => g.checked).map((g) => g.value).join(","));
  if (queue.value) query.set("queue", queue.value);
  if (medium.value) query.set("medium", medium.value);
  if (tz.value.trim()) query.set("tz", tz.value.trim());
  return query;
}

function queueOptions(select, tiles) {
  const names = [...new Set([...tiles.values()].map((t) => t.queue))].sort();
  if (select.dataset.names === names.join(",")) return;
  select.dataset.names = names.join(",");
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, "All queues"),
    ...names.map((name) => h("option", { value: name }, name)));
  if (chosen && !names.includes(chosen)) select.append(h("option", { value: chosen }, chosen));
  select.value = chosen;
}

export function mountReports(section) {
  const title = h("h2", { id: "reports-title", tabindex: "-1" }, "Reports");
  const from = h("input", { type: "date", id: "report-from", name: "from", required: true });
  const to = h("input", { type: "date", id: "report-to", name: "to",
    "aria-describedby": "report-to-hint" });
  const interval = h("select", { id: "report-interval", name: "interval" },
    ...INTERVALS.map(([value, label]) => h("option", { value }, label)));
  interval.value = "day";
  const groups = GROUPS.map(([value]) => h("input", { type: "checkbox", name: "by", value,
    id: `report-by-${value}`, checked: value !== "agent" }));
  const queue = h("select", { id: "report-queue", name: "queue" },
    h("option", { value: "" }, "All queues"));
  const medium = h("select", { id: "report-medium", name: "medium" },
    h("option", { value: "" }, "All media"),
    ...Object.entries(MEDIA).map(([value, label]) => h("option", { value }, label)));
  const mine = browserZone();
  const tz = h("input", { id: "report-tz", name: "tz", list: "report-tz-list",
    autocomplete: "off", spellcheck: "false", "aria-describedby": "report-tz-hint" });
  const zones = h("datalist", { id: "report-tz-list" },
    mine ? h("option", { value: mine }) : null);
  const tzHint = h("p", { class: "hint", id: "report-tz-hint" },
    `An IANA name such as Europe/London${mine ? `; this browser's: ${mine}` : ""}. `
    + "Empty: the engine's.");
  const run = h("button", { type: "submit", class: "primary", id: "report-run" },
    "Run report");
  const csv = h("a", { id: "report-csv", class: "download", hidden: true, download: "" },
    "Download CSV");
  const problem = h("p", { class: "problem form-error", id: "report-error" });
  const form = h("form", { class: "report-form", id: "report-form", novalidate: true,
    "aria-labelledby": "reports-title", "aria-describedby": "report-error" },
  h("div", { class: "fields" },
    field("report-from", "From", from),
    field("report-to", "To (included)", to,
      h("p", { class: "hint", id: "report-to-hint" }, "Empty: the same day as From.")),
    field("report-interval", "Interval", interval),
    h("fieldset", { class: "field groups" }, h("legend", {}, "Group by"),
      ...GROUPS.map(([value, label], i) => h("label", { class: "check", for: `report-by-${value}` },
        groups[i], ` ${label}`))),
    field("report-queue", "Queue", queue),
    field("report-medium", "Medium", medium),
    field("report-tz", "Time zone", h("span", {}, tz, zones), tzHint)),
  h("div", { class: "row actions" }, run, csv), problem);
  const status = h("p", { class: "status", id: "report-status" });
  const caption = h("caption", { id: "report-caption" });
  const table = h("table", { class: "figures-table", id: "report-table" }, caption,
    h("thead"), h("tbody"));
  const wrap = h("div", { class: "table-wrap", role: "region", tabindex: "0",
    "aria-labelledby": "report-caption", hidden: true }, table);
  section.replaceChildren(title, form, status, wrap);
  const refs = { from, to, interval, groups, queue, medium, tz };
  let asking = 0;

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const query = queryOf(refs);
    const ticket = ++asking;
    setText(problem, "");
    setText(status, "Running the report…");
    try {
      const report = await get(`/api/reports?${query}`);
      if (ticket !== asking) return;
      if (!tz.value.trim()) tz.value = report.tz;
      renderReport(table, report);
      wrap.hidden = false;
      const csvQuery = new URLSearchParams(query);
      csvQuery.set("format", "csv");
      csv.href = `/api/reports?${csvQuery}`;
      csv.hidden = false;
      const rows = report.rows.length;
      const said = `Report ready: ${rows} ${rows === 1 ? "row" : "rows"}.`;
      setText(status, said);
      announce(said);
    } catch (err) {
      if (ticket !== asking) return;
      setText(status, "");
      const said = `The report could not be made: ${err.message}`;
      setText(problem, said);
      announce(said, { assertive: true });
    }
  });

  let defaulted = false;
  async function onShow() {
    if (defaulted) return;
    defaulted = true;
    // today in the engine's time zone, which is also the zone asked for unless changed
    const { tz: zone } = await reportDefaults();
    if (zone && !tz.value) tz.value = zone;
    if (zone && !zones.querySelector(`option[value="${CSS.escape(zone)}"]`)) {
      zones.append(h("option", { value: zone }));
    }
    if (!touched) {
      from.value = today(tz.value.trim() || zone);
      to.value = from.value;
    }
  }
  // today as this browser sees it until the engine's zone is known (unless changed by then)
  let touched = false;
  from.value = today();
  to.value = from.value;
  for (const input of [from, to]) input.addEventListener("input", () => { touched = true; });
  const stop = subscribe((s) => queueOptions(queue, s.tiles));
  return { stop, onShow, heading: title };
}
