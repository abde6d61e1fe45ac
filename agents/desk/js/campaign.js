// A campaign's call on the desk (docs/campaigns.md, "Phone steps" and "Dispositions"): the
// pop says which campaign and step it is, and wrap-up says what each disposition the
// campaign maps does next. "Call back later" (action callback) asks when; "Do not call"
// says the number goes on the do-not-call list. Names are shown as text, never markup.
import { get } from "./api.js";
import { h } from "./dom.js";

const ACTION_WORDS = {
  done: "ends the campaign for this customer",
  do_not_call: "adds the number to the do-not-call list",
  callback: "books a callback",
  retry: "tries again",
};

/** The pop's "Campaign: NAME (step N)" line, or null for other work. */
export function campaignLine(pop) {
  const c = pop && pop.campaign;
  if (!c) return null;
  const step = Number.isInteger(c.step) ? ` (step ${c.step + 1})` : "";
  return h("p", { class: "campaign", id: "pop-campaign" }, `Campaign: ${c.name || c.id}${step}`);
}

/**
 * Wrap-up's part for a campaign's call: `disposition` is the wrap-up's select (or text
 * input). What the campaign's dispositions do is asked for once (GET .../disposition), when
 * `start()` is first called with a pop that has a campaign; until then (and for other
 * work) its element stays empty and `extra()` adds nothing.
 */
export function campaignFollowUp(item, disposition) {
  const id = `callback-at-${item.id}`;
  const at = h("input", { id, type: "datetime-local", required: true,
    "aria-describedby": `${id}-hint` });
  const timeField = h("div", { class: "campaign-callback", hidden: true },
    h("label", { for: id }, "Call back at"), at,
    h("p", { class: "hint", id: `${id}-hint` }, "Your local time; the customer is called then."));
  const dncNote = h("p", { class: "campaign-dnc", id: `campaign-dnc-${item.id}`, hidden: true },
    "The customer's number goes on the do-not-call list: they will not be called for "
    + "marketing again.");
  const el = h("div", { class: "campaign-followup" });
  let actions = {};
  let asked = false;

  const action = () => actions[disposition.value] || null;
  const show = () => {
    timeField.hidden = action() !== "callback";
    dncNote.hidden = action() !== "do_not_call";
    at.setAttribute("aria-invalid", "false");
  };
  disposition.addEventListener("change", show);
  disposition.addEventListener("input", show);

  function learn(found) {
    actions = (found && found.actions) || {};
    if (found) el.replaceChildren(timeField, dncNote);
    if (disposition.tagName === "SELECT") {
      for (const option of disposition.options) {
        const words = ACTION_WORDS[actions[option.value]];
        if (words) option.textContent = `${option.value} (${words})`;
      }
    }
    show();
  }

  return {
    el,
    /** Ask once what the campaign's dispositions do, when the work is a campaign's call. */
    async start(pop) {
      if (asked || !(pop && pop.campaign)) return;
      asked = true;
      try {
        const view = await get(`/api/interactions/${encodeURIComponent(item.id)}/disposition`);
        learn(view && view.campaign);
      } catch {
        // without the actions the options stay plain; the engine still says what is missing
      }
    },
    /** What goes with the disposition ({callback_at} for a callback), or null when the time
     *  the callback needs is not chosen (the field is marked and given the keyboard). */
    extra() {
      if (action() !== "callback") return {};
      const when = at.value ? new Date(at.value) : null;
      if (!when || Number.isNaN(when.getTime())) {
        at.setAttribute("aria-invalid", "true");
        at.focus();
        return null;
      }
      at.setAttribute("aria-invalid", "false");
      return { callback_at: when.toISOString() };
    },
    /** The engine refused the time (in the past, too far): the field is marked and given
     *  the keyboard to change it. */
    refused() {
      if (timeField.hidden) return;
      at.setAttribute("aria-invalid", "true");
      at.focus();
    },
  };
}
