// The wallboard's sign-in: user name and password for a session cookie (POST /api/session),
// the desk's way, with the wallboard's title. Wrong password and unknown user read alike.
import { announce } from "/desk/js/announce.js";
import { api, setCsrfToken } from "/desk/js/api.js";
import { h, setText } from "/desk/js/dom.js";

const MESSAGES = {
  bad_credentials: "The user name or password is wrong.",
  too_many_attempts: "Too many failed sign-ins. Wait a few minutes, then try again.",
  network: "The engine cannot be reached. Check your connection.",
};

/** Show the sign-in form in `root`; resolves with the session once signed in. */
export function signIn(root, notice = "") {
  return new Promise((resolve) => {
    const message = h("p", { class: "signin-error", id: "signin-error", role: "alert" });
    const user = h("input", { id: "user", name: "user", autocomplete: "username",
      required: true, autocapitalize: "none", spellcheck: "false" });
    const password = h("input", { id: "password", name: "password", type: "password",
      autocomplete: "current-password", required: true });
    const button = h("button", { type: "submit", class: "primary" }, "Sign in");
    const form = h("form", { class: "signin", "aria-describedby": "signin-error" },
      h("h1", {}, "ccengine wallboard"),
      h("label", { for: "user" }, "User name"), user,
      h("label", { for: "password" }, "Password"), password,
      button, message);
    setText(message, notice);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      button.disabled = true;
      setText(message, "");
      try {
        const session = await api("POST", "/api/session",
          { user: user.value.trim(), password: password.value });
        setCsrfToken(session.csrf_token);
        announce(`Signed in as ${session.user.name || session.user.id}`);
        resolve(session);
      } catch (err) {
        setText(message, MESSAGES[err.code] || err.message);
        password.focus();
      } finally {
        password.value = "";
        button.disabled = false;
      }
    });
    root.replaceChildren(h("main", { class: "signin-page" }, form));
    user.focus();
  });
}
