// A preview campaign's call (docs/campaigns.md, "Preview"): the work is the agent's before
// anything is dialled. Its panel asks "Preview: call NAME?" with the number, and two
// buttons: Call (Alt+Shift+C) rings the agent's phone (this page answers it by itself),
// then the customer's; Skip ends the work without a call (wrap-up follows). Until they
// decide, the call's controls stay hidden. Other callbacks show the call view as ever.
// Customer text is set as text, never markup.
import { announce } from "./announce.js";
import { get, post } from "./api.js";
import { callView } from "./call.js";
import { h, setText } from "./dom.js";
import { tell } from "./desk.js";
import { focusWhenShown } from "./offers.js";
import { answerCall, ensureMicrophone, forgetAnswer, phoneKind } from "./phone-view.js";
import { state, update } from "./store.js";

// the interaction's events that say where a preview stands (the latest one counts)
const STANDING = { preview: "waiting", preview_call_failed: "waiting", preview_call: "calling",
  preview_skip: "over", callback_dialling: "over" };
// the previews on this page, by interaction id: what the feed's preview frames reach
const parts = new Map();

/** The feed's `preview` frame: the agent's own phone did not answer after Call, so the
 *  engine gave the preview back to decide again. */
export function onPreviewFrame(frame) {
  if (frame.event === "preview_call_failed") parts.get(frame.interaction_id)?.callFailed();
}

export function isPreview(pop) {
  return Boolean(pop && pop.campaign && pop.campaign.mode === "preview");
}

function numberOf(pop) {
  return pop.caller_number || (pop.details && pop.details.number) || "";
}

function whoOf(pop) {
  return (pop.customer && pop.customer.name) || numberOf(pop) || "the customer";
}

/** What screen readers hear when a preview comes. */
export function previewWords(pop) {
  return `Preview: ${whoOf(pop)}. Call or skip.`;
}

/** Where the engine says the preview stands ("waiting", "calling", "over"); null when it
 *  cannot say (then it is taken as waiting: a refused decision says so in words). */
async function standing(id) {
  try {
    const record = await get(`/api/interactions/${encodeURIComponent(id)}`);
    const known = (record.events || []).filter((e) => e.kind in STANDING);
    return known.length ? STANDING[known[known.length - 1].kind] : "waiting";
  } catch {
    return null;
  }
}

function previewPart(item) {
  const id = item.id;
  const title = h("h3", { id: `preview-title-${id}`, tabindex: "-1" });
  const number = h("p", { class: "preview-number", id: `preview-number-${id}` });
  const call = h("button", { type: "button", class: "primary preview-call",
    id: `preview-call-${id}`, "aria-keyshortcuts": "Alt+Shift+C" }, "Call");
  const skip = h("button", { type: "button", class: "preview-skip", id: `preview-skip-${id}` },
    "Skip");
  const buttons = h("div", { class: "row" }, call, skip);
  const status = h("p", { class: "preview-status", id: `preview-status-${id}` });
  const el = h("section", { class: "preview", id: `preview-${id}`, hidden: true,
    "aria-labelledby": title.id }, title, number, buttons, status);
  // new → checking → waiting ⇄ sending → calling (→ waiting if the phone did not answer)
  // → over; skip: sending → over
  let phase = "new";
  let focused = false;
  const who = () => whoOf(item.pop);

  const move = (next) => { phase = next; update(); };
  const check = async () => {
    const found = await standing(id);
    if (phase !== "checking") return;
    move(found === "over" ? "over" : found === "calling" ? "calling" : "waiting");
  };
  // after Call, the agent's own phone did not answer: the preview waits for them again
  parts.set(id, {
    callFailed() {
      if (!["calling", "sending"].includes(phase)) return;
      forgetAnswer(id);
      move("waiting");
      const text = "Your phone did not answer: call again or skip.";
      tell(text);
      announce(text, { assertive: true });
      call.focus();
    },
  });

  async function decide(action) {
    if (phase !== "waiting") return;
    if (action === "call" && phoneKind() === "webrtc" && !(await ensureMicrophone())) return;
    move("sending");
    if (action === "call") answerCall(id);   // it may ring before the answer comes
    try {
      await post(`/api/interactions/${encodeURIComponent(id)}/preview`, { action });
    } catch (e) {
      if (action === "call") forgetAnswer(id);
      move("waiting");
      tell(e.message);
      announce(e.message, { assertive: true });
      call.focus();
      if (e.code !== "preview_conflict") return;
      const found = await standing(id);   // decided already (elsewhere, or by staff)?
      if (phase !== "waiting" || !found || found === "waiting") return;
      move(found);
      return;
    }
    // the feed said meanwhile that the phone did not answer: the preview waits again
    if (action === "call" && phase !== "sending") return;
    tell("");
    if (action === "skip") {
      announce(`Skipped ${who()}. Wrap-up.`);
      move("over");
      focusWhenShown(`disposition-${id}`);
      return;
    }
    announce(`Calling ${who()}…`);
    move("calling");
    title.focus();
  }
  call.addEventListener("click", () => decide("call"));
  skip.addEventListener("click", () => decide("skip"));

  return {
    el,
    /** The call's own controls wait until the agent has said Call. */
    holding: () => isPreview(item.pop) && ["new", "checking", "waiting", "sending"].includes(phase),
    refresh(current) {
      const pop = current.pop;
      if (!isPreview(pop)) { el.hidden = true; return; }
      if (current.slot.state !== "busy") phase = "over";
      const answered = state.phone.call && state.phone.call.state !== "ringing";
      if (phase === "calling" && answered) phase = "over";
      if (phase === "over") parts.delete(id);
      if (phase === "new") { phase = "checking"; check(); }
      const hide = ["new", "checking", "over"].includes(phase);
      if (hide && !el.hidden && el.contains(document.activeElement)) {
        document.getElementById(`panel-${id}`)?.focus();
      }
      el.hidden = hide;
      if (hide) return;
      setText(title, `Preview: call ${who()}?`);
      setText(number, numberOf(pop) ? `Number: ${numberOf(pop)}` : "");
      buttons.hidden = phase === "calling";
      call.disabled = skip.disabled = phase === "sending";
      setText(status, phase === "calling" ? (phoneKind() === "webrtc" ? "Calling…"
        : "Calling… your phone rings first: answer it.") : "");
      if (phase === "waiting" && !focused) { focused = true; call.focus(); }
    },
  };
}

/** A callback's panel: the preview (for a preview campaign's call) over the call view. */
export function callbackView(item) {
  const preview = previewPart(item);
  const calls = callView(item);
  return {
    el: h("div", { class: "callback-work" }, preview.el, calls.el),
    refresh(current) {
      preview.refresh(current);
      calls.el.hidden = preview.holding();
      calls.refresh(current);
    },
  };
}
