// The workspace once signed in: the presence bar on top; the phone and the offers on the
// left; the work in hand in tabs in the middle; the customer and the knowledge base on the
// right.
import { get } from "./api.js";
import { h } from "./dom.js";
import { closeFeed, openFeed } from "./feed.js";
import { SHORTCUTS, mountKeys } from "./keys.js";
import { mountKnowledge } from "./knowledge.js";
import { mountLookup } from "./lookup.js";
import { mountOffers } from "./offers.js";
import { mountPhone, stopPhone } from "./phone-view.js";
import { mountPop } from "./pop.js";
import { mountPresence } from "./presence.js";
import { state, subscribe, update } from "./store.js";
import { mountTabs } from "./tabs.js";
import { titleBadge, unlockOnFirstGesture } from "./notify.js";
import { syncClock } from "./time.js";

const unmounts = [];
let ticker = null;

export async function mountDesk(root) {
  const desk = await get("/api/desk");
  syncClock(desk.now);
  update((s) => { s.desk = desk; });
  const bar = h("header", { class: "bar" });
  const side = h("aside", { class: "side", "aria-label": "Phone and offers" });
  const work = h("main", { class: "work", id: "work", "aria-label": "Work in hand" });
  const customer = h("aside", { class: "customer", "aria-label": "Customer" });
  const notice = h("p", { class: "notice", id: "notice", role: "status" });
  const help = h("details", { class: "shortcuts" }, h("summary", {}, "Keyboard shortcuts"),
    h("dl", {}, ...SHORTCUTS.flatMap(([keys, what]) => [h("dt", {}, h("kbd", {}, keys)),
      h("dd", {}, what)])));
  root.replaceChildren(bar, notice, h("div", { class: "layout" }, side, work, customer),
    h("footer", { class: "foot" }, help));
  unmounts.push(
    mountPresence(bar),
    mountPhone(side),
    mountOffers(side),
    mountTabs(work),
    mountLookup(customer),
    mountPop(customer),
    mountKnowledge(customer),
    mountKeys(),
    subscribe((s) => {
      notice.textContent = s.notice || "";
      notice.hidden = !s.notice;
      titleBadge(s.offers.size);
    }),
  );
  unlockOnFirstGesture();
  // time in state, countdowns and wrap-up timers move every second
  ticker = setInterval(() => update(), 1000);
  openFeed();
}

export function unmountDesk() {
  clearInterval(ticker);
  closeFeed();
  stopPhone();
  while (unmounts.length) {
    const stop = unmounts.pop();
    if (typeof stop === "function") stop();
  }
  titleBadge(0);
}

/** Show a message to the agent (an API refusal in words); it stays until the next one. */
export function tell(text) {
  update((s) => { s.notice = text; });
}

export function isAgent() {
  return Boolean(state.desk && state.desk.agent);
}
