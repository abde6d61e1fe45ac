// The board once signed in: the bar, the open escalation alerts, the queue tiles and the
// agent grid, with the actions dialog. Times on it move every second.
import { get } from "/desk/js/api.js";
import { h } from "/desk/js/dom.js";
import { syncClock } from "/desk/js/time.js";
import { mountActions } from "./actions.js";
import { mountAgents } from "./agents.js";
import { mountAlerts } from "./alerts.js";
import { mountBar } from "./bar.js";
import { closeFeed, openFeed } from "./feed.js";
import { SHORTCUTS, mountKeys } from "./keys.js";
import { sessionEnded } from "./session.js";
import { update } from "./store.js";
import { mountTiles } from "./tiles.js";

const unmounts = [];
let ticker = null;

export async function mountWall(root) {
  // what an agent may be set not ready for (the desk's list) and the engine's clock
  const desk = await get("/api/desk");
  syncClock(desk.now);
  update((s) => { s.reasons = desk.not_ready_reasons || []; });
  const bar = h("header", { class: "bar" });
  const banner = h("p", { class: "feed-lost-banner", id: "connection", hidden: true });
  const alerts = h("section", { class: "alerts", "aria-labelledby": "alerts-title" });
  const tiles = h("section", { class: "queues", "aria-labelledby": "tiles-title" });
  const agents = h("section", { class: "people", "aria-labelledby": "agents-title" });
  const help = h("details", { class: "shortcuts" }, h("summary", {}, "Keyboard shortcuts"),
    h("dl", {}, ...SHORTCUTS.flatMap(([keys, what]) => [h("dt", {}, h("kbd", {}, keys)),
      h("dd", {}, what)])));
  root.replaceChildren(bar, banner, h("main", { class: "board", id: "board" },
    alerts, tiles, agents), h("footer", { class: "foot" }, help));
  unmounts.push(mountBar(bar, banner), mountAlerts(alerts), mountTiles(tiles),
    mountAgents(agents), mountActions(root), mountKeys());
  ticker = setInterval(() => update(), 1000);
  openFeed(sessionEnded);
}

export function unmountWall() {
  clearInterval(ticker);
  closeFeed();
  while (unmounts.length) {
    const stop = unmounts.pop();
    if (typeof stop === "function") stop();
  }
}
