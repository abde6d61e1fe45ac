// The supervisors' wallboard: announcements for screen readers, the large-screen mode
// before anything is drawn, then the session (sign-in, then the board). Everything comes
// from the engine's public API and the /ws/wall feed; the desk's small modules are shared.
import { mountAnnouncer } from "/desk/js/announce.js";
import { applyLargeMode } from "./large.js";
import { startSession } from "./session.js";

applyLargeMode();
mountAnnouncer(document.body);
startSession(document.getElementById("app"));
