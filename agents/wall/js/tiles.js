// Queue tiles, one per queue and medium: what waits now (the longest wait ticks here every
// second, on the engine's clock), today's figures, the service level over the rolling
// window, and the queue's agents by state. A tile past one of its queue's thresholds turns
// red and says why in words; a new breach is announced to screen readers (politely).
import { announce } from "/desk/js/announce.js";
import { h, keyed, setText } from "/desk/js/dom.js";
import { duration, now } from "/desk/js/time.js";
import { STATE_ORDER, STATES, mediumLabel, percent, seconds } from "./labels.js";
import { subscribe, tileKey } from "./store.js";

// [name, the label shown, what a screen reader says (when the label is short)]
const FIGURES = [
  ["waiting", "Waiting", ""],
  ["longest", "Longest wait", ""],
  ["sl-today", "SL today", "Service level today"],
  ["sl-window", "SL last hour", "Service level, last hour"],
  ["offered", "Offered", ""],
  ["answered", "Answered", ""],
  ["abandoned", "Abandoned", ""],
  ["asa", "ASA", "Average speed of answer"],
  ["aht", "AHT", "Average handle time"],
];
let made = 0;

function longestWait(tile) {
  return tile.oldest_queued_at ? Math.max(0, now() - tile.oldest_queued_at) : 0;
}

function variant(tile) {
  return (tile.targets && tile.targets.service_level) || "abandons_against";
}

/** The tile's breaches now: the engine's, with the longest wait judged every second. */
export function breachesOf(tile) {
  const limits = (tile.targets && tile.targets.thresholds) || {};
  const found = (tile.breaches || []).filter((b) => b !== "longest_wait_seconds");
  const over = limits.longest_wait_seconds !== undefined
    ? tile.waiting > 0 && longestWait(tile) > limits.longest_wait_seconds
    : (tile.breaches || []).includes("longest_wait_seconds");
  if (over) found.push("longest_wait_seconds");
  return found;
}

/** Why a tile is red, one phrase per threshold passed. */
export function breachText(tile, breach) {
  const limits = (tile.targets && tile.targets.thresholds) || {};
  if (breach === "waiting") {
    return `${tile.waiting} waiting, over the limit of ${limits.waiting ?? "?"}`;
  }
  if (breach === "longest_wait_seconds") {
    const limit = limits.longest_wait_seconds;
    return `longest wait ${duration(longestWait(tile))}, over the limit of `
      + `${limit === undefined ? "?" : duration(limit)}`;
  }
  if (breach === "service_level") {
    return `service level today ${percent(tile.today.service_level[variant(tile)])}, `
      + `under the target of ${percent(limits.service_level)}`;
  }
  return breach;
}

function create(tile) {
  made += 1;
  const titleId = `tile-title-${made}`;
  const title = h("h3", { id: titleId, class: "tile-title" });
  const status = h("p", { class: "tile-status" });
  const values = {};
  const labels = {};
  const figures = h("dl", { class: "figures" }, ...FIGURES.map(([name, label, spoken]) => {
    values[name] = h("dd", { class: "value" });
    labels[name] = [h("span", { "aria-hidden": spoken ? "true" : undefined }, label),
      spoken ? h("span", { class: "sr-only" }, spoken) : null];
    return h("div", { class: `figure figure-${name}`, dataset: { figure: name } },
      h("dt", {}, ...labels[name]), values[name]);
  }));
  const targets = h("p", { class: "tile-targets" });
  const agents = h("p", { class: "tile-agents" });
  const el = h("article", { class: "tile", "aria-labelledby": titleId,
    dataset: { queue: tile.queue, medium: tile.medium } }, title, status, figures, agents,
  targets);
  el.refs = { title, status, values, labels, agents, targets };
  return el;
}

/** The queue's targets and limits: "SL target 80 % in 0:20; limits: waiting 3". */
function targetsText(tile) {
  const t = tile.targets || {};
  const limits = t.thresholds || {};
  const parts = [];
  if (limits.waiting !== undefined) parts.push(`waiting ${limits.waiting}`);
  if (limits.longest_wait_seconds !== undefined) {
    parts.push(`longest wait ${duration(limits.longest_wait_seconds)}`);
  }
  const target = limits.service_level !== undefined
    ? `SL target ${percent(limits.service_level)}`
      + (t.sl_seconds !== undefined && t.sl_seconds !== null ? ` in ${duration(t.sl_seconds)}` : "")
    : "";
  return [target, parts.length ? `limits: ${parts.join(", ")}` : ""].filter(Boolean).join("; ");
}

function agentsText(counts) {
  const parts = STATE_ORDER.filter((s) => counts[s])
    .map((s) => `${counts[s]} ${STATES[s].toLowerCase()}`);
  return parts.length ? `Agents: ${parts.join(", ")}` : "Agents: none with this queue's skills";
}

function render(el, tile) {
  const { title, status, values, labels, agents, targets } = el.refs;
  const today = tile.today || {};
  const v = variant(tile);
  setText(title, `${tile.queue} · ${mediumLabel(tile.medium)}`);
  const breaches = breachesOf(tile);
  el.classList.toggle("breach", breaches.length > 0);
  setText(status, breaches.length
    ? `Over limit: ${breaches.map((b) => breachText(tile, b)).join("; ")}`
    : "Within limits");
  setText(values.waiting, tile.waiting);
  setText(values.longest, tile.waiting ? duration(longestWait(tile)) : "—");
  setText(values["sl-today"], percent(today.service_level && today.service_level[v]));
  const rolling = tile.window || {};
  setText(values["sl-window"], percent(rolling.service_level && rolling.service_level[v]));
  if (rolling.minutes && rolling.minutes !== 60) {
    setText(labels["sl-window"][0], `SL last ${rolling.minutes} min`);
    setText(labels["sl-window"][1], `Service level, last ${rolling.minutes} minutes`);
  }
  setText(values.offered, today.offered ?? 0);
  setText(values.answered, today.answered ?? 0);
  setText(values.abandoned, today.abandoned ?? 0);
  setText(values.asa, seconds(today.asa_seconds));
  setText(values.aht, seconds(today.aht_seconds));
  setText(agents, agentsText(tile.agents || {}));
  setText(targets, targetsText(tile));
  for (const name of ["waiting", "longest", "sl-today"]) {
    const key = { waiting: "waiting", longest: "longest_wait_seconds",
      "sl-today": "service_level" }[name];
    values[name].parentElement.classList.toggle("over", breaches.includes(key));
  }
  return breaches;
}

export function mountTiles(section) {
  const title = h("h2", { id: "tiles-title" }, "Queues");
  const grid = h("div", { class: "tiles", id: "tiles" });
  const empty = h("p", { class: "empty" }, "Waiting for the engine…");
  section.replaceChildren(title, grid, empty);
  const seen = new Map();   // tile -> its breaches last time: what is new is announced
  return subscribe((s) => {
    const tiles = [...s.tiles.values()];
    const news = [];
    keyed(grid, tiles, tileKey, create, (el, tile) => {
      const breaches = render(el, tile);
      const before = seen.get(tileKey(tile)) || [];
      const added = breaches.filter((b) => !before.includes(b));
      if (added.length) {
        news.push(`${tile.queue} ${mediumLabel(tile.medium)} over limit: `
          + added.map((b) => breachText(tile, b)).join("; "));
      }
      seen.set(tileKey(tile), breaches);
    });
    empty.hidden = tiles.length > 0;
    setText(empty, s.feed === "open" ? "No queues to show." : "Waiting for the engine…");
    if (news.length) announce(news.join(". "));
  });
}
