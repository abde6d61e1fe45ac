// The wallboard's one state: what the feed said (tiles, agents, open alerts) and the page's
// own settings. Components render it; actions go through the API and come back by the feed.

const listeners = new Set();

export const state = {
  session: null,      // {user: {id, role, name}, csrf_token}
  reasons: [],        // the not-ready reasons agents may be given [{code, label}]
  feed: "closed",     // connecting | open | lost (after it was open) | closed
  tiles: new Map(),   // "queue/medium" -> tile (ccengine/reporting/live_tiles.py)
  agents: new Map(),  // agent id -> row {id, name, state, presence, reason, since, slots}
  alerts: new Map(),  // alert id -> an escalation not yet acknowledged
  large: false,       // large-screen mode
};

export const tileKey = (tile) => `${tile.queue}/${tile.medium}`;

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let scheduled = false;

/** Change the state, then render once (changes made together render together). */
export function update(change) {
  if (change) change(state);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    for (const listener of [...listeners]) {
      try { listener(state); } catch (e) { console.error(e); }
    }
  });
}
