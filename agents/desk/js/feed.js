// The agent's feed (/ws/agent): the agent's state on every change, offers with their screen
// pop, and what customers write in open chats and emails. It reconnects by itself; each
// (re)connection starts with the whole state, so nothing is missed while it was down.
import { announce } from "./announce.js";
import { state, update } from "./store.js";
import { refreshConversations } from "./conversation.js";
import { onPreviewFrame } from "./preview.js";
import { reconcileWork, onConversationFrame, onOffer } from "./work-state.js";

let socket = null;
let retry = 1;
let stopped = false;
let opened = false;   // a hello came once: later ones follow a reconnection

export function openFeed() {
  stopped = false;
  opened = false;
  connect();
}

export function closeFeed() {
  stopped = true;
  if (socket) socket.close();
  socket = null;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  update((s) => { s.feed = "connecting"; });
  socket = new WebSocket(`${scheme}://${location.host}/ws/agent`);
  socket.addEventListener("open", () => {
    retry = 1;
    const wasDown = state.feed === "closed-after-open";
    update((s) => { s.feed = "open"; });
    if (wasDown) announce("Connection to the engine restored.");
  });
  socket.addEventListener("message", (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    onFrame(frame);
  });
  socket.addEventListener("close", () => {
    socket = null;
    if (stopped) { update((s) => { s.feed = "closed"; }); return; }
    if (state.feed === "open") announce("Connection to the engine lost. Reconnecting…", { assertive: true });
    update((s) => { s.feed = "closed-after-open"; });
    setTimeout(connect, retry * 1000);
    retry = Math.min(retry * 2, 5);
  });
}

function onFrame(frame) {
  switch (frame.type) {
    case "hello":
      update((s) => { s.agent = frame.agent || null; });
      reconcileWork({ now: true });
      // what customers wrote while the feed was down is read again
      if (opened) refreshConversations(state.work.values());
      opened = true;
      break;
    case "state":
      update((s) => { s.agent = frame.agent; });
      reconcileWork({ now: false, cause: frame.cause, reason: frame.reason, by: frame.by });
      break;
    case "offer":
      onOffer(frame);
      break;
    case "preview":
      onPreviewFrame(frame);
      break;
    default:
      onConversationFrame(frame);
  }
}
