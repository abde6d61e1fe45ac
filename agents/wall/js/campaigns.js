// The campaigns view, over the campaigns API (docs/campaigns.md "Campaigns"): one row per
// campaign with its state, when it started and its progress (GET /api/campaigns/{id}: the
// customers on its list by state and, per step, those contacted and those waiting), read
// when the view is shown, every 10 s while it is, and on Refresh. Each row's buttons make
// the moves its state allows (POST /api/campaigns/{id}/state): Start a draft, Pause a
// running one, Resume a paused one, Finish any but a finished one, on a second press
// ("Finish for good?"; Escape or Cancel leaves it as it is). A refusal is shown in words and
// announced at once; a move done is announced politely and the rows read again. Making a
// campaign and its list stays in the API (the view says so).
import { announce } from "/desk/js/announce.js";
import { get, post } from "/desk/js/api.js";
import { h, keyed, setText } from "/desk/js/dom.js";
import { now } from "/desk/js/time.js";
import { NONE, count, dateTime } from "./figures.js";
import { reportDefaults } from "./zone.js";

const EVERY_MS = 10000;
const STATES = { draft: "Draft", running: "Running", paused: "Paused", finished: "Finished" };
const CHANNELS = { email: "Email", phone: "Phone" };
// [move, the state it asks for, its button, the states it is offered in, said once done]
const MOVES = [
  ["start", "running", "Start", ["draft"], "started"],
  ["pause", "paused", "Pause", ["running"], "paused"],
  ["resume", "running", "Resume", ["paused"], "resumed"],
  ["finish", "finished", "Finish", ["draft", "running", "paused"], "finished"],
];
// after a move the keyboard goes to the button that follows it (finished: the row's name)
const NEXT = { start: "pause", pause: "resume", resume: "pause" };
// the figures after the name: [key, header, cell class]
const COLUMNS = [
  ["state", "State", "state"],
  ["started", "Started", "when"],
  ["targets", "Customers", "num"],
  ["steps", "Contacted, per step", "steps"],
  ["dialer", "Dialling", "dialer"],
  ["responded", "Responded", "num"],
  ["opted_out", "Opted out", "num"],
  ["failed", "Failed", "num"],
  ["pending", "Pending", "num"],
];

/** A step's progress in words: "Step 1, Email: 2 contacted (sent 2); 1 waiting", and the
 *  wrap-up dispositions of its calls: "; dispositions: Sale 2, Do not call 1". */
export function stepText(step) {
  const outcomes = Object.entries(step.outcomes || {})
    .map(([outcome, n]) => `${outcome.replace(/_/g, " ")} ${n}`);
  const chosen = Object.entries(step.dispositions || {}).map(([name, n]) => `${name} ${n}`);
  const channel = CHANNELS[step.channel] || step.channel;
  return `Step ${step.step + 1}, ${channel}: ${step.contacted} contacted`
    + (outcomes.length ? ` (${outcomes.join(", ")})` : "")
    + `; ${step.pending} waiting`
    + (chosen.length ? `; dispositions: ${chosen.join(", ")}` : "");
}

const MODES = { preview: "Preview", progressive: "Progressive", predictive: "Predictive" };

/** How the campaign dials, and for a predictive one how it dials now and its abandon rate
 *  over the window: "Predictive (progressive now): 1.5 % abandoned, 3 of 200 answered". */
export function dialerText(campaign) {
  const mode = ((campaign.spec || {}).dialer || {}).mode || "progressive";
  const d = campaign.dialer;
  const words = MODES[mode] || mode;
  if (!d) return words;
  const now = d.mode && d.mode !== mode ? ` (${(MODES[d.mode] || d.mode).toLowerCase()} now)` : "";
  const rate = (d.abandon_rate * 100).toFixed(1);
  return `${words}${now}: ${rate} % abandoned, ${d.abandoned} of ${d.live_answers} answered`;
}

function cellTexts(campaign, zone) {
  const progress = campaign.progress;
  const by = (progress && progress.by_state) || {};
  const active = by.active ? ` (${by.active} under way)` : "";
  return {
    state: STATES[campaign.state] || campaign.state,
    dialer: dialerText(campaign),
    started: dateTime(campaign.started_at, zone),
    targets: count(progress && progress.targets),
    responded: count(by.responded),
    opted_out: count(by.opted_out),
    failed: count(by.failed),
    pending: progress ? `${count(by.pending)}${active}` : NONE,
  };
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export function mountCampaigns(section) {
  const title = h("h2", { id: "campaigns-title", tabindex: "-1" }, "Campaigns");
  const refresh = h("button", { type: "button", id: "campaigns-refresh" }, "Refresh");
  const status = h("p", { class: "status", id: "campaigns-status" });
  const problem = h("p", { class: "problem form-error", id: "campaigns-error" });
  const caption = h("caption", { id: "campaigns-caption" }, "Outbound campaigns, oldest first");
  const table = h("table", { class: "figures-table", id: "campaigns-table" }, caption,
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Campaign"),
      ...COLUMNS.map(([key, label]) => h("th", { scope: "col", dataset: { figure: key } },
        label)),
      h("th", { scope: "col" }, "Actions"))),
    h("tbody"));
  const wrap = h("div", { class: "table-wrap", role: "region", tabindex: "0",
    "aria-labelledby": "campaigns-caption", hidden: true }, table);
  const note = h("p", { class: "hint" }, "Refreshed every 10 seconds while shown. New "
    + "campaigns and their lists of customers are made through the API: see the campaigns "
    + "guide (docs/campaigns.md#campaigns).");
  section.replaceChildren(title,
    h("section", { class: "campaign-list", "aria-labelledby": "campaigns-list-title" },
      h("div", { class: "section-head" },
        h("h3", { id: "campaigns-list-title" }, "Outbound campaigns"), refresh),
      status, problem, wrap, note));

  const rows = new Map();      // campaign id -> {tr, name, cells, buttons, cancel, campaign}
  let zone = "";
  let asking = 0;
  let timer = null;
  let shown = false;
  let problemOf = "";          // what the problem line says: "" | "load" | "move"

  function say(text, from) {
    setText(problem, text);
    problemOf = text ? from : "";
  }

  function arm(row, on) {
    row.armed = on;
    row.buttons.finish.classList.toggle("confirm", on);
    setText(row.confirmWords, on ? " for good?" : "");
    row.cancel.hidden = !on;
  }

  function makeRow(campaign) {
    const id = campaign.id;
    const sr = (text) => h("span", { class: "sr-only" }, text);
    const buttons = Object.fromEntries(MOVES.map(([move, , label]) => [move,
      h("button", { type: "button", dataset: { move }, onclick: () => act(id, move) },
        label, sr(` ${campaign.name}`))]));
    const confirmWords = h("span", { class: "confirm-words" });
    buttons.finish.append(confirmWords);
    const cancel = h("button", { type: "button", dataset: { move: "cancel" }, hidden: true,
      onclick: () => {
        arm(row, false);
        buttons.finish.focus();
        announce(`${campaign.name}: not finished.`);
      } }, "Cancel", sr(` finishing ${campaign.name}`));
    const none = h("span", { class: "none" }, NONE);
    const name = h("th", { scope: "row", tabindex: "-1" }, campaign.name);
    const cells = Object.fromEntries(COLUMNS.map(([key, , kind]) => [key,
      h("td", { class: kind, dataset: { figure: key } })]));
    const moves = h("td", { class: "moves" }, ...Object.values(buttons), cancel, none);
    const tr = h("tr", { dataset: { campaign: campaign.name, id: String(id) } }, name,
      ...Object.values(cells), moves);
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && row.armed) {
        e.preventDefault();
        cancel.click();
      }
    });
    const row = { tr, name, cells, buttons, confirmWords, cancel, none, campaign,
      armed: false, busy: false };
    rows.set(id, row);
    return tr;
  }

  function fillRow(row, campaign) {
    row.campaign = campaign;
    row.tr.dataset.state = campaign.state;
    const texts = cellTexts(campaign, zone);
    for (const [key, text] of Object.entries(texts)) setText(row.cells[key], text);
    const steps = (campaign.progress && campaign.progress.steps) || [];
    const shownSteps = [...row.cells.steps.querySelectorAll("li")].map((li) => li.textContent);
    const wanted = steps.map(stepText);
    if (shownSteps.join("\n") !== wanted.join("\n")) {
      row.cells.steps.replaceChildren(wanted.length
        ? h("ul", { class: "step-list" }, ...wanted.map((text, i) => h("li",
          { dataset: { step: String(i) } }, text)))
        : NONE);
    }
    for (const [move, , , states] of MOVES) {
      row.buttons[move].hidden = !states.includes(campaign.state);
    }
    if (campaign.state === "finished" && row.armed) arm(row, false);
    row.none.hidden = campaign.state !== "finished";
  }

  function render(campaigns) {
    const body = table.tBodies[0];
    if (!campaigns.length) {
      rows.clear();
      body.replaceChildren(h("tr", {}, h("td", { colspan: String(COLUMNS.length + 2),
        class: "empty" }, "No campaigns yet.")));
      return;
    }
    for (const tr of [...body.children]) if (!tr.dataset.key) tr.remove();
    keyed(body, campaigns, (c) => c.id, makeRow, (tr, c) => fillRow(rows.get(c.id), c));
    const ids = new Set(campaigns.map((c) => c.id));
    for (const id of [...rows.keys()]) if (!ids.has(id)) rows.delete(id);
  }

  /** A campaign with its progress (a finished one's is read once: it changes no more). */
  async function withProgress(campaign) {
    const known = rows.get(campaign.id);
    const progress = known && known.campaign.progress;
    if (campaign.state === "finished" && progress && progress.state === "finished") {
      return { ...campaign, progress };
    }
    return get(`/api/campaigns/${campaign.id}`);
  }

  /** Read every campaign again; `loud`: say so to screen readers (asked for, or shown). */
  async function load(loud) {
    clearTimeout(timer);
    timer = null;
    const ticket = ++asking;
    if (loud) setText(status, "Reading the campaigns…");
    try {
      const [{ campaigns }, { tz }] = await Promise.all([get("/api/campaigns"),
        reportDefaults()]);
      const full = await Promise.all(campaigns.map(withProgress));
      if (ticket !== asking) return;
      zone = tz;
      setText(caption, `Outbound campaigns, oldest first${tz ? `; times in ${tz}` : ""}`);
      render(full);
      wrap.hidden = false;
      if (problemOf === "load") say("", "");
      const running = full.filter((c) => c.state === "running").length;
      const said = `${plural(full.length, "campaign", "campaigns")}, ${running} running.`;
      setText(status, `${said} Read at ${new Date(now() * 1000).toLocaleTimeString(undefined,
        { hour: "2-digit", minute: "2-digit", second: "2-digit" })}.`);
      if (loud) announce(said);
    } catch (err) {
      if (ticket !== asking) return;
      const said = `The campaigns could not be read: ${err.message}`;
      setText(status, "");
      if (loud || problem.textContent !== said) announce(said, { assertive: true });
      say(said, "load");
    } finally {
      if (ticket === asking && shown) timer = setTimeout(() => load(false), EVERY_MS);
    }
  }

  async function act(id, move) {
    const row = rows.get(id);
    if (!row || row.busy) return;
    const [, state, label, , done] = MOVES.find(([m]) => m === move);
    const name = row.campaign.name;
    if (move === "finish" && !row.armed) {
      arm(row, true);
      announce(`Finish ${name} for good? The customers still waiting in it are cancelled. `
        + "Press the button again to finish it, or Escape to leave it as it is.");
      return;
    }
    row.busy = true;
    if (problemOf === "move") say("", "");
    const button = row.buttons[move];
    try {
      const moved = await post(`/api/campaigns/${id}/state`, { state });
      arm(row, false);
      fillRow(row, { ...moved, progress: row.campaign.progress });
      await load(false);
      const said = `Campaign ${name} ${done}.`;
      setText(status, said);
      announce(said);
      const next = rows.get(id);
      if (next) (NEXT[move] ? next.buttons[NEXT[move]] : next.name).focus();
    } catch (err) {
      arm(row, false);
      const said = `Could not ${label.toLowerCase()} ${name}: ${err.message}`;
      say(said, "move");
      announce(said, { assertive: true });
      await load(false);
      const next = rows.get(id);
      if (next && button.hidden) next.name.focus();
    } finally {
      row.busy = false;
    }
  }

  refresh.addEventListener("click", () => {
    if (problemOf === "move") say("", "");
    load(true);
  });

  function onShow() {
    shown = true;
    load(true);
  }

  function onHide() {
    shown = false;
    clearTimeout(timer);
    timer = null;
    asking += 1;         // an answer still on its way is not shown (nor read again)
  }

  return { stop: onHide, onShow, onHide, heading: title };
}
