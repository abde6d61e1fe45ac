// The wallboard's one state: what the feed said (tiles, agents, open alerts) and the page's
// own settings. Components render it; actions go through the API and come back by the feed.

import { makeStore } from "/desk/js/observable.js";

const store = makeStore({
  session: null,      // {user: {id, role, name}, csrf_token}
  reasons: [],        // the not-ready reasons agents may be given [{code, label}]
  feed: "closed",     // connecting | open | lost (after it was open) | closed
  tiles: new Map(),   // "queue/medium" -> tile (ccengine/reporting/live_tiles.py)
  agents: new Map(),  // agent id -> row {id, name, state, presence, reason, since, slots}
  alerts: new Map(),  // alert id -> an escalation not yet acknowledged
  large: false,       // large-screen mode
});

export const { state, subscribe, update } = store;

export const tileKey = (tile) => `${tile.queue}/${tile.medium}`;

