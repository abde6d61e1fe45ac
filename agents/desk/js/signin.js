// The sign-in screen: user name and password for a session cookie. The same words answer a
// wrong password and an unknown user; too many failures are refused for a while.
import { api, setCsrfToken } from "./api.js";
import { announce } from "./announce.js";
import { h, setText } from "./dom.js";
import { unlockSound } from "./notify.js";

const MESSAGES = {
  bad_credentials: "The user name or password is wrong.",
  too_many_attempts: "Too many failed sign-ins. Wait a few minutes, then try again.",
  network: "The engine cannot be reached. Check your connection.",
};

/**
 * Show the sign-in form in `root`; resolves with the session once signed in. `title` names
 * the page (the wallboard signs in with this form too); `onSubmit` runs on the user's
 * gesture (the desk unlocks its sounds then).
 */
export function signIn(root, notice = "",
  { title = "ccengine desk", onSubmit = unlockSound } = {}) {
  return new Promise((resolve) => {
    const message = h("p", { class: "signin-error", id: "signin-error", role: "alert" });
    const user = h("input", { id: "user", name: "user", autocomplete: "username",
      required: true, autocapitalize: "none", spellcheck: "false" });
    const password = h("input", { id: "password", name: "password", type: "password",
      autocomplete: "current-password", required: true });
    const button = h("button", { type: "submit", class: "primary" }, "Sign in");
    const form = h("form", { class: "signin", "aria-describedby": "signin-error" },
      h("h1", {}, title),
      h("label", { for: "user" }, "User name"), user,
      h("label", { for: "password" }, "Password"), password,
      button, message);
    setText(message, notice);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      onSubmit();  // a user gesture: the desk's later offers may play their sound
      button.disabled = true;
      setText(message, "");
      try {
        const session = await api("POST", "/api/session",
          { user: user.value.trim(), password: password.value });
        setCsrfToken(session.csrf_token);
        password.value = "";
        announce(`Signed in as ${session.user.name || session.user.id}`);
        resolve(session);
      } catch (err) {
        const text = MESSAGES[err.code] || err.message;
        setText(message, text);
        password.value = "";
        password.focus();
      } finally {
        button.disabled = false;
      }
    });
    root.replaceChildren(h("main", { class: "signin-page" }, form));
    (notice ? password : user).focus();
    if (notice) user.focus();
  });
}
