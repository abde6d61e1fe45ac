// The staffing view: for each queue and medium, today's measured traffic, the agents
// Erlang C says it needs (on average and in the busiest interval) against the agents
// staffed now, with any shortfall said in words (GET /api/staffing/queues, read each time
// the view is shown or refreshed); under it the Erlang C calculator (erlang.js).
import { announce } from "/desk/js/announce.js";
import { get } from "/desk/js/api.js";
import { h, setText } from "/desk/js/dom.js";
import { mountCalculator } from "./erlang.js";
import { NONE, clockTime, count, decimal, mss } from "./figures.js";
import { STATES, STATE_ORDER, mediumLabel } from "./labels.js";
import { reportDefaults } from "./zone.js";

const COLUMNS = [
  ["contacts", "Contacts today"],
  ["aht", () => [h("abbr", { title: "Average handle time" }, "AHT"), " (talk + wrap-up)"]],
  ["per-interval", "Contacts per interval"],
  ["needed", "Agents needed (average)"],
  ["busiest", "Busiest interval"],
  ["needed-busiest", "Agents needed (busiest)"],
  ["staffed", "Agents staffed now"],
  ["shortfall", "Shortfall"],
];

/** The shortfall in words: [text, short?]. */
export function shortfall(entry) {
  const staffed = entry.agents_staffed;
  const average = entry.agents_needed;
  const busiest = entry.busiest_interval.agents_needed;
  if (average === null || average === undefined) {
    return [`Not computed: ${entry.not_computed || "no figures yet"}`, false];
  }
  const peak = busiest ?? average;
  if (staffed >= Math.max(average, peak)) return ["None", false];
  if (staffed >= average) {
    return [`None on average; ${peak - staffed} short for the busiest interval`, true];
  }
  const more = peak > average ? ` (${peak - staffed} for the busiest interval)` : "";
  return [`${average - staffed} ${average - staffed === 1 ? "agent" : "agents"} short${more}`,
    true];
}

function staffedText(entry) {
  const states = STATE_ORDER.filter((s) => entry.agents_by_state[s])
    .map((s) => `${entry.agents_by_state[s]} ${STATES[s].toLowerCase()}`);
  return [h("span", { class: "count" }, String(entry.agents_staffed)),
    states.length ? h("span", { class: "detail" }, ` (${states.join(", ")})`) : null,
    h("span", { class: "detail" }, ` of ${entry.agents_eligible} qualified`)];
}

function busiestText(entry, zone) {
  const b = entry.busiest_interval;
  if (!b || !b.contacts || b.start === null || b.start === undefined) return NONE;
  return `${clockTime(b.start, zone)}: ${b.contacts} ${b.contacts === 1 ? "contact" : "contacts"}`;
}

function row(queue, entry, zone) {
  const [words, short] = shortfall(entry);
  const cells = {
    contacts: count(entry.contacts),
    aht: mss(entry.aht_seconds),
    "per-interval": decimal(entry.contacts_per_interval),
    needed: count(entry.agents_needed),
    busiest: busiestText(entry, zone),
    "needed-busiest": count(entry.busiest_interval.agents_needed),
    staffed: staffedText(entry),
    shortfall: words,
  };
  const tr = h("tr", { class: short ? "short" : "", dataset: { queue: queue.queue,
    medium: entry.medium } },
  h("th", { scope: "row" }, `${queue.queue} · ${mediumLabel(entry.medium)}`),
  h("td", { class: "target" }, `${queue.sl_percent} % in ${queue.sl_seconds} s`),
  ...COLUMNS.map(([key]) => h("td", { dataset: { figure: key },
    class: key === "shortfall" ? "shortfall" : "num" }, cells[key])));
  return tr;
}

export function mountStaffing(section) {
  const title = h("h2", { id: "staffing-title", tabindex: "-1" }, "Staffing");
  const interval = h("select", { id: "staffing-interval", name: "interval_minutes" },
    ...[15, 30, 60].map((m) => h("option", { value: String(m) }, `${m} minutes`)));
  interval.value = "30";
  const refresh = h("button", { type: "submit", id: "staffing-refresh" }, "Refresh");
  const form = h("form", { class: "row staffing-form", "aria-label": "Measured staffing" },
    h("label", { for: "staffing-interval", class: "inline" }, "Interval"), interval, refresh);
  const status = h("p", { class: "status", id: "staffing-status" });
  const problem = h("p", { class: "problem", id: "staffing-error" });
  const caption = h("caption", { id: "staffing-caption" });
  const table = h("table", { class: "figures-table", id: "staffing-table" }, caption,
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Queue"),
      h("th", { scope: "col" }, "Target"),
      ...COLUMNS.map(([key, label]) => h("th", { scope: "col", dataset: { figure: key } },
        typeof label === "function" ? label() : label)))),
    h("tbody"));
  const wrap = h("div", { class: "table-wrap", role: "region", tabindex: "0",
    "aria-labelledby": "staffing-caption", hidden: true }, table);
  const note = h("p", { class: "hint" }, "Agents staffed: logged in now (in any state) "
    + "with the queue's skills and room for the medium. Erlang C, its assumptions and "
    + "where it is wrong: see the staffing guide (docs/staffing.md).");
  const calculator = h("section", { class: "calculator", "aria-labelledby": "erlang-title" });
  section.replaceChildren(title,
    h("section", { class: "measured", "aria-labelledby": "staffing-now-title" },
      h("div", { class: "section-head" },
        h("h3", { id: "staffing-now-title" }, "Today: traffic against agents on now"), form),
      status, problem, wrap, note),
    calculator);
  const stopCalculator = mountCalculator(calculator);
  let asking = 0;

  async function load() {
    const ticket = ++asking;
    setText(status, "Reading today's traffic…");
    setText(problem, "");
    try {
      const query = new URLSearchParams({ interval_minutes: interval.value });
      const [data, { tz }] = await Promise.all([get(`/api/staffing/queues?${query}`),
        reportDefaults()]);
      if (ticket !== asking) return;
      const rows = data.queues.flatMap((q) => q.media.map((m) => row(q, m, tz)));
      if (!rows.length) {
        rows.push(h("tr", {}, h("td", { colspan: String(2 + COLUMNS.length), class: "empty" },
          "No queues.")));
      }
      table.tBodies[0].replaceChildren(...rows);
      setText(caption, `Since ${clockTime(data.since, tz)}${tz ? ` (${tz})` : ""} until `
        + `${clockTime(data.now, tz)}, in ${decimal(data.interval_minutes)}-minute intervals; `
        + "each queue's own service-level target"
        + (data.truncated ? ". Some queues had too many contacts to read them all." : ""));
      wrap.hidden = false;
      const short = data.queues.flatMap((q) => q.media.filter((m) => shortfall(m)[1])
        .map((m) => `${q.queue} ${mediumLabel(m.medium)}`));
      const said = short.length ? `Short of agents: ${short.join(", ")}.`
        : "Staffing read: no shortfall.";
      setText(status, said);
      announce(said);
    } catch (err) {
      if (ticket !== asking) return;
      setText(status, "");
      const said = `Staffing could not be read: ${err.message}`;
      setText(problem, said);
      announce(said, { assertive: true });
    }
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load();
  });
  return { stop: stopCalculator, onShow: load, heading: title };
}
