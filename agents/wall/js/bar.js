// The board's top bar: the title, the links between the views (views.js) and the engine's
// clock, who is signed in, the large-screen toggle and signing out; under it, a banner
// while the feed's connection is lost.
import { h, setText } from "/desk/js/dom.js";
import { now } from "/desk/js/time.js";
import { toggleLarge } from "./large.js";
import { signOut } from "./session.js";
import { subscribe } from "./store.js";

const LOST = "Connection to the engine lost: reconnecting. The figures shown may be out of date.";

export function mountBar(bar, banner, nav = null) {
  const who = h("span", { class: "who" });
  const clock = h("time", { class: "clock", id: "clock" });
  const large = h("button", { type: "button", id: "large-toggle", "aria-pressed": "false",
    "aria-keyshortcuts": "Alt+Shift+L", onclick: () => toggleLarge() }, "Large screen");
  const out = h("button", { type: "button", id: "sign-out", onclick: () => signOut() },
    "Sign out");
  bar.replaceChildren(h("h1", { class: "brand" }, "ccengine wallboard"), nav, clock, who,
    large, out);
  return subscribe((s) => {
    const user = s.session && s.session.user;
    setText(who, user ? (user.name || user.id) : "");
    setText(clock, new Date(now() * 1000).toLocaleTimeString(undefined,
      { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    large.setAttribute("aria-pressed", String(s.large));
    banner.hidden = s.feed !== "lost";
    setText(banner, s.feed === "lost" ? LOST : "");
    document.documentElement.classList.toggle("feed-lost", s.feed === "lost");
  });
}
