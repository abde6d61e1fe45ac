// Offers waiting for the agent: any medium, with the queue, the customer, how long they
// have waited and a countdown to the offer's timeout; Accept and Decline. A call is
// answered in the page's phone (or on the agent's desk phone); chats and emails are
// accepted through the API.
import { announce } from "./announce.js";
import { post } from "./api.js";
import { h, keyed, setText } from "./dom.js";
import { tell } from "./desk.js";
import { answerCall, declineCall, ensureMicrophone, phoneKind } from "./phone-view.js";
import { state, subscribe, update } from "./store.js";
import { duration, now } from "./time.js";
import { customerName, workTitle } from "./work-state.js";

const PHONE_MEDIA = new Set(["voice", "callback"]);

function subject(pop) {
  const d = pop.details || {};
  if (pop.medium === "email") return d.subject ? `Subject: ${d.subject}` : "";
  if (pop.medium === "chat") return d.first_message || d.message || "";
  if (pop.medium === "callback") return d.reason || (d.number ? `Call back ${d.number}` : "");
  return pop.caller_number ? `From ${pop.caller_number}` : "";
}

/** Put the keyboard in an element once it is on the page (the accepted work's reply box). */
export function focusWhenShown(id, tries = 40) {
  const el = document.getElementById(id);
  if (el && !el.closest("[hidden]")) { el.focus(); return; }
  if (tries > 0) setTimeout(() => focusWhenShown(id, tries - 1), 50);
}

/** Accept an offer: answer its call here, or take the chat or email. */
export async function acceptOffer(interactionId) {
  const pop = state.offers.get(interactionId);
  if (!pop) return;
  if (PHONE_MEDIA.has(pop.medium)) {
    if (phoneKind() !== "webrtc") { tell("Answer the call on your phone."); return; }
    if (!(await ensureMicrophone())) return;
    answerCall(interactionId);
    return;
  }
  try {
    await post(`/api/interactions/${encodeURIComponent(interactionId)}/accept`);
    update((s) => { s.selected = interactionId; s.notice = ""; });
    focusWhenShown(`reply-${interactionId}`);
  } catch (e) {
    tell(e.message);
  }
}

/** Decline an offer (it goes back to its queue; the agent goes not ready). */
export async function declineOffer(interactionId) {
  const pop = state.offers.get(interactionId);
  if (!pop) return;
  if (PHONE_MEDIA.has(pop.medium) && declineCall(interactionId)) return;
  try {
    await post(`/api/interactions/${encodeURIComponent(interactionId)}/decline`);
    announce("Offer declined.");
  } catch (e) {
    tell(e.message);
  }
}

function card(pop) {
  const id = pop.interaction_id;
  const title = h("h3", { class: "offer-title" });
  const who = h("p", { class: "offer-customer" });
  const what = h("p", { class: "offer-subject" });
  const waited = h("p", { class: "offer-wait" });
  const left = h("span", { class: "offer-countdown" });
  const bar = h("progress", { class: "offer-bar", max: 100, value: 100, "aria-hidden": "true" });
  const accept = h("button", { type: "button", class: "primary accept",
    "aria-keyshortcuts": "Alt+Shift+A", onclick: () => acceptOffer(id) }, "Accept");
  const decline = h("button", { type: "button", class: "decline",
    "aria-keyshortcuts": "Alt+Shift+D", onclick: () => declineOffer(id) }, "Decline");
  const el = h("article", { class: `offer medium-${pop.medium}`, tabindex: "-1",
    "aria-labelledby": `offer-${id}-title` }, title, who, what, waited,
    h("p", { class: "offer-timeout" }, left, bar), h("div", { class: "offer-buttons" }, accept, decline));
  title.id = `offer-${id}-title`;
  el.refs = { title, who, what, waited, left, bar, accept };
  return el;
}

function refresh(el, pop) {
  const r = el.refs;
  setText(r.title, `${workTitle(pop.medium, pop)} — ${pop.queue}`);
  setText(r.who, customerName(pop));
  setText(r.what, subject(pop));
  const t = now();
  setText(r.waited, `Waiting ${duration((pop.wait_seconds || 0) + t - (pop.offered_at || t))}`);
  if (pop.expires_at) {
    const total = Math.max(1, pop.expires_at - (pop.offered_at || t));
    const remaining = Math.max(0, pop.expires_at - t);
    setText(r.left, `${Math.ceil(remaining)} s left`);
    r.bar.value = Math.round((remaining / total) * 100);
  }
  const onPhone = PHONE_MEDIA.has(pop.medium) && phoneKind() !== "webrtc";
  setText(r.accept, onPhone ? "Answer on your phone" : "Accept");
  r.accept.disabled = onPhone;
}

export function mountOffers(side) {
  const list = h("div", { class: "offer-list", id: "offers" });
  const empty = h("p", { class: "empty" }, "No offers.");
  side.append(h("section", { class: "panel offers", "aria-labelledby": "offers-title" },
    h("h2", { id: "offers-title" }, "Offers"), empty, list));
  return subscribe((s) => {
    const offers = [...s.offers.values()];
    empty.hidden = offers.length > 0;
    keyed(list, offers, (p) => p.interaction_id, card, refresh);
  });
}
