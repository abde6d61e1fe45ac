// The agent desk's entry: announcements for screen readers, then the session (sign-in,
// then the workspace). Everything goes through the engine's public API and the agent's feed.
import { mountAnnouncer } from "./announce.js";
import { startSession } from "./session.js";

mountAnnouncer(document.body);
startSession(document.getElementById("app"));
