// The page once signed in: the bar with the links between the views; the board (the open
// escalation alerts, the queue tiles and the agent grid, with the actions dialog), the
// reports, the staffing and the campaigns, one shown at a time (views.js). Times on it
// move every second. The feed stays open whichever view is shown: the board is up to date
// on coming back.
import { get } from "/desk/js/api.js";
import { h } from "/desk/js/dom.js";
import { syncClock } from "/desk/js/time.js";
import { mountActions } from "./actions.js";
import { mountAgents } from "./agents.js";
import { mountAlerts } from "./alerts.js";
import { mountBar } from "./bar.js";
import { mountCampaigns } from "./campaigns.js";
import { closeFeed, openFeed } from "./feed.js";
import { SHORTCUTS, mountKeys } from "./keys.js";
import { mountReports } from "./reports.js";
import { sessionEnded } from "./session.js";
import { mountStaffing } from "./staffing.js";
import { update } from "./store.js";
import { mountTiles } from "./tiles.js";
import { makeNav, mountViews } from "./views.js";
import { forgetReportDefaults } from "./zone.js";

const unmounts = [];
let ticker = null;

export async function mountWall(root) {
  // what an agent may be set not ready for (the desk's list) and the engine's clock
  const desk = await get("/api/desk");
  syncClock(desk.now);
  update((s) => { s.reasons = desk.not_ready_reasons || []; });
  const bar = h("header", { class: "bar" });
  const nav = makeNav();
  const banner = h("p", { class: "feed-lost-banner", id: "connection", hidden: true });
  const alerts = h("section", { class: "alerts", "aria-labelledby": "alerts-title" });
  const tiles = h("section", { class: "queues", "aria-labelledby": "tiles-title" });
  const agents = h("section", { class: "people", "aria-labelledby": "agents-title" });
  const board = h("div", { class: "board view", id: "view-board" }, alerts, tiles, agents);
  const reports = h("section", { class: "view page reports", id: "view-reports",
    "aria-labelledby": "reports-title", hidden: true });
  const staffing = h("section", { class: "view page staffing", id: "view-staffing",
    "aria-labelledby": "staffing-title", hidden: true });
  const campaigns = h("section", { class: "view page campaigns", id: "view-campaigns",
    "aria-labelledby": "campaigns-title", hidden: true });
  const help = h("details", { class: "shortcuts" }, h("summary", {}, "Keyboard shortcuts"),
    h("dl", {}, ...SHORTCUTS.flatMap(([keys, what]) => [h("dt", {}, h("kbd", {}, keys)),
      h("dd", {}, what)])));
  root.replaceChildren(bar, banner,
    h("main", { id: "main" }, board, reports, staffing, campaigns),
    h("footer", { class: "foot" }, help));
  unmounts.push(mountBar(bar, banner, nav), mountAlerts(alerts), mountTiles(tiles),
    mountAgents(agents), mountActions(root), mountKeys());
  const reportView = mountReports(reports);
  const staffingView = mountStaffing(staffing);
  const campaignView = mountCampaigns(campaigns);
  const tilesTitle = tiles.querySelector("#tiles-title");
  tilesTitle.setAttribute("tabindex", "-1");
  unmounts.push(reportView.stop, staffingView.stop, campaignView.stop, forgetReportDefaults,
    mountViews(nav, { board: { el: board, heading: tilesTitle },
      reports: { el: reports, ...reportView }, staffing: { el: staffing, ...staffingView },
      campaigns: { el: campaigns, ...campaignView } }));
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
