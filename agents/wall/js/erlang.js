// The Erlang C calculator (GET /api/staffing/erlang-c, docs/staffing.md): a workload in
// (contacts per interval, the interval, AHT, the service-level target, shrinkage,
// concurrency, and optionally a number of agents to try), the agents it needs out, with
// the service level, ASA, the probability of waiting and occupancy they give. The API
// checks the figures: its objection is shown in words by the form, the field it names is
// marked invalid and gets the keyboard.
import { announce } from "/desk/js/announce.js";
import { get } from "/desk/js/api.js";
import { h, setText } from "/desk/js/dom.js";
import { count, decimal, mss, share } from "./figures.js";

// [query parameter, label, default, hint]
const FIELDS = [
  ["contacts", "Contacts per interval", "", "Expected to arrive in one interval."],
  ["interval_minutes", "Interval (minutes)", "30", ""],
  ["aht_seconds", "AHT (seconds)", "", "Average handle time: talk plus wrap-up."],
  ["sl_percent", "Service level (%)", "80", "The share answered within …"],
  ["sl_seconds", "… this many seconds", "20", ""],
  ["shrinkage", "Shrinkage (0 to 0.99)", "0", "The share of paid time away: 0.3 is 30 %."],
  ["concurrency", "Concurrency", "1", "Contacts an agent works at once (chat)."],
  ["agents", "Try this many agents", "", "Optional."],
];
const RESULT = [
  ["agents", "Agents", (r) => count(r.agents)],
  ["agents_scheduled", "Scheduled (with shrinkage)", (r) => count(r.agents_scheduled)],
  ["service_level", "Service level", (r) => share(r.service_level)],
  ["asa_seconds", () => h("abbr", { title: "Average speed of answer" }, "ASA"),
    (r) => (r.asa_seconds === null ? "unbounded: the queue grows" : mss(r.asa_seconds))],
  ["wait_probability", "P(wait)", (r) => share(r.wait_probability)],
  ["occupancy", "Occupancy", (r) => share(r.occupancy)],
  ["meets_target", "Meets the target", (r) => (r.meets_target ? "Yes" : "No")],
];

export function mountCalculator(section) {
  const title = h("h3", { id: "erlang-title" }, "Erlang C calculator");
  const inputs = {};
  const fields = FIELDS.map(([name, label, value, hint]) => {
    const id = `erlang-${name.replaceAll("_", "-")}`;
    const input = h("input", { id, name, type: "text", inputmode: "decimal", value,
      autocomplete: "off", "aria-describedby": hint ? `${id}-hint` : undefined });
    inputs[name] = input;
    return h("div", { class: "field" }, h("label", { for: id }, label), input,
      hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
  });
  const run = h("button", { type: "submit", class: "primary", id: "erlang-run" },
    "Calculate");
  const problem = h("p", { class: "problem form-error", id: "erlang-error" });
  const form = h("form", { class: "erlang-form", id: "erlang-form", novalidate: true,
    "aria-labelledby": "erlang-title", "aria-describedby": "erlang-error" },
  h("div", { class: "fields" }, ...fields), h("div", { class: "row actions" }, run), problem);
  const traffic = h("p", { class: "status", id: "erlang-traffic" });
  const caption = h("caption", { id: "erlang-caption" });
  const table = h("table", { class: "figures-table", id: "erlang-result" }, caption,
    h("thead", {}, h("tr", {}, h("td", {}),
      ...RESULT.map(([key, label]) => h("th", { scope: "col", dataset: { figure: key } },
        typeof label === "function" ? label() : label)))),
    h("tbody"));
  const wrap = h("div", { class: "table-wrap", role: "region", tabindex: "0",
    "aria-labelledby": "erlang-caption", hidden: true }, table);
  section.replaceChildren(title, form, traffic, wrap);

  function clearInvalid() {
    for (const input of Object.values(inputs)) {
      input.removeAttribute("aria-invalid");
      const hint = input.id + "-hint";
      input.setAttribute("aria-describedby", document.getElementById(hint) ? hint : "");
      if (!input.getAttribute("aria-describedby")) input.removeAttribute("aria-describedby");
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearInvalid();
    setText(problem, "");
    const query = new URLSearchParams();
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value.trim() !== "") query.set(name, input.value.trim());
    }
    try {
      const body = await get(`/api/staffing/erlang-c?${query}`);
      const input = body.input;
      setText(caption, `${decimal(input.contacts)} contacts in ${decimal(input.interval_minutes)} `
        + `minutes, AHT ${mss(input.aht_seconds)}, target ${decimal(input.sl_percent)} % in `
        + `${decimal(input.sl_seconds)} s`
        + (input.shrinkage ? `, shrinkage ${share(input.shrinkage)}` : "")
        + (input.concurrency !== 1 ? `, ${decimal(input.concurrency)} at once` : ""));
      setText(traffic, `Traffic: ${decimal(body.traffic_erlangs)} Erlangs (agents busy on `
        + "average).");
      const rows = [["needed", "Needed", body.needed]];
      if (body.with_agents) {
        rows.push(["with-agents", `With ${body.with_agents.agents} agents`, body.with_agents]);
      }
      table.tBodies[0].replaceChildren(...rows.map(([key, label, r]) => h("tr",
        { dataset: { row: key } }, h("th", { scope: "row" }, label),
        ...RESULT.map(([name, , text]) => h("td", { class: "num", dataset: { figure: name } },
          text(r))))));
      wrap.hidden = false;
      announce(`Agents needed: ${body.needed.agents}, `
        + `${body.needed.agents_scheduled} scheduled.`);
    } catch (err) {
      const said = `Not calculated: ${err.message}`;
      setText(problem, said);
      const named = inputs[String(err.code || "").replace(/^bad_/, "")];
      if (named) {
        named.setAttribute("aria-invalid", "true");
        named.setAttribute("aria-describedby",
          [named.getAttribute("aria-describedby"), "erlang-error"].filter(Boolean).join(" "));
        named.focus();
      }
      announce(said, { assertive: true });
    }
  });
  return () => {};
}
