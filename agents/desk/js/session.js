// Signed in or not: the session cookie (HttpOnly, set by POST /api/session) is the browser's;
// the page keeps only the CSRF token it is given. A session that ends on the server (signed
// out elsewhere, expired) brings the sign-in back with a message.
import { announce } from "./announce.js";
import { del, get, onSessionEnded, setCsrfToken } from "./api.js";
import { mountDesk, unmountDesk } from "./desk.js";
import { signIn } from "./signin.js";
import { state, update } from "./store.js";

let root = null;
let ending = false;

export async function startSession(container, notice = "") {
  root = container;
  let session = null;
  try {
    session = await get("/api/session");
    setCsrfToken(session.csrf_token);
  } catch {
    session = await signIn(root, notice);
  }
  update((s) => { s.session = session; });
  await mountDesk(root);
}

function reset() {
  unmountDesk();
  update((s) => {
    s.session = null; s.desk = null; s.agent = null; s.offers.clear(); s.work.clear();
    s.selected = null; s.notice = "";
  });
}

onSessionEnded(() => {
  if (ending || !state.session) return;
  ending = true;
  reset();
  announce("Your session has ended. Sign in again.", { assertive: true });
  startSession(root, "Your session has ended. Sign in again.").finally(() => { ending = false; });
});

/** Sign out: the session ends on the server, the phone unregisters. */
export async function signOut() {
  try { await del("/api/session"); } catch { /* ended already */ }
  reset();
  setCsrfToken("");
  announce("Signed out.");
  startSession(root, "You are signed out.");
}
