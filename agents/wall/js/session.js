// Signed in or not, as on the desk: the session cookie is the browser's (HttpOnly), the
// page keeps only the CSRF token. The board is for supervisors and admins: anyone else is
// asked to sign in as one. A session that ends on the server brings the sign-in back.
import { announce } from "/desk/js/announce.js";
import { del, get, onSessionEnded, setCsrfToken } from "/desk/js/api.js";
import { signIn as deskSignIn } from "/desk/js/signin.js";
import { state, update } from "./store.js";
import { mountWall, unmountWall } from "./wall.js";

const ROLES = ["supervisor", "admin"];
const signIn = (root, notice) => deskSignIn(root, notice, { title: "ccengine wallboard",
  onSubmit: () => {} });
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
  while (!ROLES.includes(session.user.role)) {
    session = await signIn(root, `${session.user.name || session.user.id} is not a `
      + "supervisor: the wallboard is for supervisors and admins.");
  }
  update((s) => { s.session = session; });
  await mountWall(root);
}

function reset() {
  unmountWall();
  update((s) => {
    s.session = null; s.tiles = new Map(); s.agents = new Map(); s.alerts = new Map();
  });
}

/** The feed or the API found the session gone: sign in again. */
export function sessionEnded() {
  if (ending || !state.session) return;
  ending = true;
  reset();
  announce("Your session has ended. Sign in again.", { assertive: true });
  startSession(root, "Your session has ended. Sign in again.").finally(() => { ending = false; });
}

onSessionEnded(sessionEnded);

export async function signOut() {
  try { await del("/api/session"); } catch { /* ended already */ }
  reset();
  setCsrfToken("");
  announce("Signed out.");
  startSession(root, "You are signed out.");
}
