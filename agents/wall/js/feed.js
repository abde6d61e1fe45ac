// The wallboard feed (/ws/wall): a hello with every tile, agent and open alert, then what
// changed within a second (tiles, agents, alert, ack); the page never polls the API. It
// reconnects by itself; each (re)connection starts with the whole board, so nothing is
// missed while it was down. While it is down the board says so and greys its figures.
import { announce } from "/desk/js/announce.js";
import { ApiError, get } from "/desk/js/api.js";
import { syncClock } from "/desk/js/time.js";
import { alertText } from "./labels.js";
import { state, tileKey, update } from "./store.js";

let socket = null;
let retry = 1;
let stopped = true;
let timer = null;
let heard = new Set();   // alerts announced already (a hello after a reconnection repeats them)
let onEnded = () => {};

/** Open the feed; `sessionEnded` is called when the engine no longer knows the session. */
export function openFeed(sessionEnded) {
  onEnded = sessionEnded || onEnded;
  stopped = false;
  retry = 1;
  heard = new Set();
  connect();
}

export function closeFeed() {
  stopped = true;
  clearTimeout(timer);
  const ws = socket;
  socket = null;
  if (ws) ws.close();
  update((s) => { s.feed = "closed"; });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  update((s) => { if (s.feed !== "lost") s.feed = "connecting"; });
  const ws = new WebSocket(`${scheme}://${location.host}/ws/wall`);
  socket = ws;
  let hello = false;
  ws.addEventListener("message", (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    if (frame.type === "hello") hello = true;
    onFrame(frame);
  });
  ws.addEventListener("close", () => {
    if (socket !== ws || stopped) return;
    socket = null;
    if (state.feed === "open") {
      announce("Connection to the engine lost. Reconnecting…", { assertive: true });
    }
    update((s) => { s.feed = "lost"; });
    if (!hello) checkSession();
    timer = setTimeout(connect, retry * 1000);
    retry = Math.min(retry * 2, 10);
  });
}

/** Refused before the hello: a session that ended is told apart from an engine away. */
async function checkSession() {
  try {
    await get("/api/session");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && !stopped) {
      closeFeed();
      onEnded();
    }
  }
}

function announceAlerts(alerts) {
  const fresh = alerts.filter((a) => !heard.has(a.id));
  for (const a of fresh) heard.add(a.id);
  if (fresh.length) {
    announce(fresh.map((a) => `Escalation in ${a.queue}: ${alertText(a)}`).join(". "),
      { assertive: true });
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case "hello": {
      syncClock(frame.now);
      const restored = state.feed === "lost";
      retry = 1;
      update((s) => {
        s.feed = "open";
        s.tiles = new Map(frame.tiles.map((t) => [tileKey(t), t]));
        s.agents = new Map(frame.agents.map((a) => [a.id, a]));
        s.alerts = new Map(frame.alerts.map((a) => [a.id, a]));
      });
      if (restored) announce("Connection to the engine restored.");
      announceAlerts(frame.alerts);
      break;
    }
    case "tiles":
      update((s) => { for (const t of frame.tiles) s.tiles.set(tileKey(t), t); });
      break;
    case "agents":
      update((s) => { for (const a of frame.agents) s.agents.set(a.id, a); });
      break;
    case "alert":
      update((s) => { s.alerts.set(frame.alert.id, frame.alert); });
      announceAlerts([frame.alert]);
      break;
    case "ack":
      if (state.alerts.has(frame.alert.id)) {
        update((s) => { s.alerts.delete(frame.alert.id); });
        announce(`Alert acknowledged by ${frame.alert.acknowledged_by}: ${alertText(frame.alert)}`);
      }
      break;
    default:
      break;
  }
}
