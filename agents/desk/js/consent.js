// The customer's consent in the screen pop (docs/campaigns.md, "Consent"): marketing by
// email and by phone, granted, withdrawn or never asked, and whether a number of theirs is
// on the do-not-call list. The agent records what the customer says on the call or in the
// chat ("Opted in" / "Opted out": PUT /api/customers/{id}/consent/{channel}/marketing,
// source desk, the work as evidence); every change is announced.
import { announce } from "./announce.js";
import { put } from "./api.js";
import { h } from "./dom.js";
import { mediumName } from "./work-state.js";

const CHANNELS = [["email", "Marketing email"], ["phone", "Marketing calls"]];
const WORDS = { granted: "opted in", withdrawn: "opted out" };

function stateText(value) {
  return WORDS[value] || "not asked";
}

/** The consent lines of customer `c` for `pop`; `saved(consent)` keeps a change shown. */
export function consentPart(pop, c, saved) {
  const consent = c.consent;
  if (!consent) return null;
  const evidence = pop.interaction_id
    ? `said in the ${mediumName(pop.medium)} ${pop.interaction_id}` : "recorded at the desk";
  const rows = CHANNELS.map(([channel, label]) => {
    const now = (consent[channel] || {}).marketing;
    const record = async (value) => {
      try {
        const view = await put(`/api/customers/${encodeURIComponent(c.id)}/consent/${channel}/marketing`,
          { state: value, source: "desk", evidence });
        saved({ ...consent, [channel]: { ...(consent[channel] || {}), marketing: view.state } });
        announce(`${label}: ${stateText(view.state)}.`);
      } catch (e) {
        announce(`${label} not recorded: ${e.message}`, { assertive: true });
      }
    };
    return h("li", { class: `consent-${channel}` },
      h("span", { class: "consent-state" }, `${label}: ${stateText(now)}`), " ",
      h("button", { type: "button", class: "opt-in", disabled: now === "granted",
        "aria-label": `${label}: record opted in`, onclick: () => record("granted") }, "Opted in"),
      h("button", { type: "button", class: "opt-out", disabled: now === "withdrawn",
        "aria-label": `${label}: record opted out`, onclick: () => record("withdrawn") }, "Opted out"));
  });
  const dnc = consent.do_not_call || [];
  return h("section", { class: "consent", "aria-labelledby": "consent-title" },
    h("h3", { id: "consent-title" }, "Consent"), h("ul", {}, ...rows),
    dnc.length ? h("p", { class: "do-not-call", id: "pop-dnc" },
      `Do not call: ${dnc.join(", ")}`) : null);
}
