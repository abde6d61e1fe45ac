// The screen pop: who the customer is (profile, identities, attributes), what they did in
// the IVR, and their history on every channel. An unknown contact gets a "new customer"
// form; the profile can be edited and an identity added; a phone number can be called and
// a callback booked. Shown for the chosen work item, or else the newest offer.
import { announce } from "./announce.js";
import { patch, post } from "./api.js";
import { campaignLine } from "./campaign.js";
import { append, fill, h } from "./dom.js";
import { consentPart } from "./consent.js";
import { tell } from "./desk.js";
import { ownerPart } from "./owner.js";
import { placeCall } from "./phone-view.js";
import { state, subscribe, update } from "./store.js";
import { when } from "./time.js";
import { mediumName } from "./work-state.js";

// what a medium's details say, in words; bookkeeping (counts, mailbox names) left out
const DETAIL_LABELS = {
  subject: "Subject", from_name: "From", from: "Address", problem: "Problem",
  visitor: "Visitor", email: "Email", phone: "Phone", entry: "Entry point",
  reason: "Reason", number: "Number", name: "Name", note: "Note", attempt: "Attempt",
  requested_via: "Asked by", requested_at: "Asked at", scheduled_for: "Scheduled for",
  waiting_since: "Waiting since", direction: "Direction", initiated_via: "Placed from",
};

function detailPairs(details) {
  const pairs = [];
  for (const [key, label] of Object.entries(DETAIL_LABELS)) {
    let value = details[key];
    if (value === undefined || value === null || value === "") continue;
    if (/_(at|for|since)$/.test(key) && typeof value === "number") value = when(value);
    pairs.push([label, value]);
  }
  return pairs;
}

function shownPop(s) {
  const item = s.selected && s.work.get(s.selected);
  if (item && item.pop) return item.pop;
  const offers = [...s.offers.values()];
  // else a customer a supervisor looked up (lookup.js)
  return offers.length ? offers[offers.length - 1] : s.lookup;
}

function setCustomer(pop, customer) {
  update(() => {
    pop.customer = { ...(pop.customer || {}), ...customer };
  });
}

function dl(pairs) {
  const list = h("dl", { class: "pairs" });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === "") continue;
    append(list, [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]);
  }
  return list;
}


function newCustomerForm(pop) {
  const known = pop.customer;
  const name = h("input", { id: "new-name", autocomplete: "off", maxlength: 200 });
  const email = h("input", { id: "new-email", type: "email", autocomplete: "off" });
  // the caller's number, when there is one (withheld numbers come as words)
  const number = /^\+?[\d\s()-]{5,}$/.test(pop.caller_number || "") ? pop.caller_number : "";
  const phone = h("input", { id: "new-phone", inputmode: "tel", autocomplete: "off",
    value: known ? "" : number });
  const form = h("form", { class: "new-customer", "aria-labelledby": "new-customer-title" },
    h("h3", { id: "new-customer-title" }, "New customer"),
    h("label", { for: "new-name" }, "Name"), name,
    h("label", { for: "new-email" }, "Email"), email,
    h("label", { for: "new-phone" }, "Phone"), phone,
    h("button", { type: "submit", class: "primary" }, "Save customer"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const identities = [];
    if (email.value.trim()) identities.push({ kind: "email", value: email.value.trim() });
    if (phone.value.trim()) identities.push({ kind: "phone", value: phone.value.trim() });
    try {
      let customer;
      if (known) {
        customer = await patch(`/api/customers/${encodeURIComponent(known.id)}`,
          { name: name.value.trim() || null });
        for (const identity of identities) {
          customer = await post(`/api/customers/${encodeURIComponent(known.id)}/identities`, identity);
        }
      } else {
        customer = await post("/api/customers", { name: name.value.trim(), identities });
        if (pop.interaction_id) {
          await post(`/api/interactions/${encodeURIComponent(pop.interaction_id)}/customer`,
            { customer_id: customer.id }).catch(() => {});
        }
      }
      setCustomer(pop, customer);
      announce("Customer saved.");
      tell("");
    } catch (err) {
      tell(err.message);
    }
  });
  return form;
}

function editForm(pop, done) {
  const c = pop.customer;
  const name = h("input", { id: "edit-name", value: c.name || "", maxlength: 200 });
  const kind = h("select", { id: "identity-kind", "aria-label": "Identity kind" },
    h("option", { value: "phone" }, "Phone"), h("option", { value: "email" }, "Email"),
    h("option", { value: "chat" }, "Chat handle"));
  const value = h("input", { id: "identity-value", "aria-label": "New identity", autocomplete: "off" });
  const attrKey = h("input", { id: "attr-key", "aria-label": "Attribute name", autocomplete: "off" });
  const attrValue = h("input", { id: "attr-value", "aria-label": "Attribute value", autocomplete: "off" });
  const form = h("form", { class: "edit-customer", "aria-label": "Edit customer" },
    h("label", { for: "edit-name" }, "Name"), name,
    h("fieldset", {}, h("legend", {}, "Add an identity"), kind, value),
    h("fieldset", {}, h("legend", {}, "Set an attribute"), attrKey, attrValue),
    h("div", {}, h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", onclick: () => done() }, "Cancel")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const id = encodeURIComponent(c.id);
    try {
      const body = {};
      if (name.value.trim() !== (c.name || "")) body.name = name.value.trim();
      if (attrKey.value.trim()) body.attributes = { [attrKey.value.trim()]: attrValue.value };
      let customer = Object.keys(body).length ? await patch(`/api/customers/${id}`, body) : c;
      if (value.value.trim()) {
        customer = await post(`/api/customers/${id}/identities`, { kind: kind.value, value: value.value.trim() });
      }
      setCustomer(pop, customer);
      announce("Customer saved.");
      tell("");
      done();
    } catch (err) {
      tell(err.message);
    }
  });
  return form;
}

function callbackForm(pop, number) {
  const at = h("input", { id: "callback-at", type: "datetime-local" });
  const note = h("input", { id: "callback-note", maxlength: 500, autocomplete: "off" });
  const form = h("form", { class: "callback-form", "aria-labelledby": "callback-title" },
    h("h3", { id: "callback-title" }, "Schedule a callback"),
    h("label", { for: "callback-at" }, "When (empty: as soon as possible)"), at,
    h("label", { for: "callback-note" }, "Note"), note,
    h("button", { type: "submit" }, "Book callback"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { number, queue: pop.queue, name: pop.customer && pop.customer.name || undefined,
      note: note.value.trim() || undefined };
    if (at.value) body.at = Math.round(new Date(at.value).getTime() / 1000);
    try {
      const booked = await post("/api/callbacks", body);
      announce(`Callback booked${booked.due_at ? ` for ${when(booked.due_at)}` : ""}.`);
      tell("Callback booked.");
    } catch (err) {
      tell(err.message);
    }
  });
  return form;
}

// a prompt with what the agent did with it (recorded on the work), as text
function promptItem(pop, p) {
  const item = h("li", { class: "prompt", dataset: { rule: p.rule } }, p.prompt, " ");
  const answer = async (outcome) => {
    try {
      await post(`/api/interactions/${encodeURIComponent(pop.interaction_id)}/prompts/` +
        encodeURIComponent(p.rule), { outcome });
      fill(item, `${p.prompt} — ${outcome === "accepted" ? "done" : "dismissed"}`);
      announce(`Suggestion ${outcome === "accepted" ? "done" : "dismissed"}.`);
    } catch (e) {
      tell(`Could not record it: ${e.message}`);
    }
  };
  append(item, [
    h("button", { type: "button", class: "accept-prompt", onclick: () => answer("accepted") },
      "Done"), " ",
    h("button", { type: "button", class: "dismiss-prompt",
      onclick: () => answer("dismissed") }, "Dismiss")]);
  return item;
}

function render(panel, pop, editing, setEditing) {
  if (!pop) { fill(panel, h("p", { class: "empty" }, "No customer to show.")); return; }
  const c = pop.customer;
  const parts = [h("h2", { id: "customer-name" }, c && c.name ? c.name : "Unknown contact")];
  // named-contact routing: why this agent got the work (text, never markup)
  if (pop.why) parts.push(h("p", { class: "why", id: "pop-why" }, `Offered to you: ${pop.why}`));
  // a campaign's call (the customer did not ask for it): which campaign and step
  if (pop.campaign) parts.push(campaignLine(pop));
  // the intent classifier's reading of what the customer wrote (text, never markup)
  if (pop.intent) {
    parts.push(h("p", { class: "intent", id: "pop-intent" },
      `About: ${pop.intent.name} (${Math.round(pop.intent.confidence * 100)} % sure)`));
  }
  if (c && c.tier) parts.push(h("p", { class: "tier" }, `Tier: ${c.tier}`));
  // the account manager (owner.js): read by all, changed by supervisors and admins
  if (c && c.id) parts.push(ownerPart(c, (customer) => setCustomer(pop, customer)));
  // marketing consent and do-not-call (consent.js): recorded as the customer says
  if (c && c.id) parts.push(consentPart(pop, c, (consent) => setCustomer(pop, { consent })));
  // what they wrote or spoke about lately, on any channel (text, never markup)
  // next-best-action prompts: what the rules suggest for this work and customer
  if (c && (c.prompts || []).length) {
    parts.push(h("h3", {}, "Suggested next steps"), h("ul", { class: "prompts" },
      ...c.prompts.map((p) => promptItem(pop, p))));
  }
  if (c && (c.recent_intents || []).length) {
    parts.push(h("p", { class: "recent-intents", id: "pop-recent-intents" },
      "Recently about: " + c.recent_intents.map((i) =>
        `${i.name} (${mediumName(i.medium)}, ${when(i.at)})`).join(", ")));
  }
  if (!c || !c.name) parts.push(newCustomerForm(pop));
  if (c) {
    const phones = (c.identities || []).filter((i) => i.kind === "phone");
    parts.push(h("h3", {}, "Identities"), h("ul", { class: "identities" },
      ...(c.identities || []).map((i) => h("li", {}, `${i.kind}: ${i.value}`,
        i.kind === "phone" && state.agent && state.desk.media.outbound ? h("button", { type: "button", class: "dial",
          "aria-label": `Call ${i.value}`, onclick: () => placeCall(i.value) }, "Call") : null))));
    if (c.attributes && Object.keys(c.attributes).length) {
      parts.push(h("h3", {}, "Attributes"), dl(Object.entries(c.attributes)));
    }
    if (c.name) {
      parts.push(editing ? editForm(pop, () => setEditing(false))
        : h("button", { type: "button", id: "edit-customer", onclick: () => setEditing(true) },
          "Edit customer"));
    }
    if (phones.length && state.desk && state.desk.media && state.desk.media.callbacks) {
      parts.push(callbackForm(pop, phones[0].value));
    }
  }
  if ((pop.ivr_path || []).length || Object.keys(pop.ivr_vars || {}).length) {
    parts.push(h("h3", {}, "In the IVR"), dl([["Path", (pop.ivr_path || []).join(" › ")],
      ["Language", pop.ivr_language], ...Object.entries(pop.ivr_vars || {})]));
  }
  const details = detailPairs(pop.details || {});
  if (details.length) parts.push(h("h3", {}, "Details"), dl(details));
  const history = (c && c.history) || [];
  parts.push(h("h3", {}, "History on every channel"));
  parts.push(history.length ? h("ol", { class: "history" }, ...history.map((item) =>
    h("li", { class: `medium-${item.medium}` },
      h("span", { class: "history-medium" }, mediumName(item.medium)), " ",
      h("time", {}, when(item.timestamps && (item.timestamps.entered || item.timestamps.queued))), " ",
      h("span", {}, item.queue || ""), " ",
      h("span", { class: "summary" }, item.summary || ""),
      item.disposition ? h("span", { class: "disposition" }, ` — ${item.disposition}`) : null)))
    : h("p", { class: "empty" }, "Nothing earlier."));
  fill(panel, ...parts);
}

export function mountPop(container) {
  const panel = h("section", { class: "pop", id: "pop", "aria-labelledby": "customer-name",
    "aria-live": "off" });
  container.append(panel);
  let shown = null;
  let version = "";
  let editing = false;
  const setEditing = (on) => { editing = on; version = ""; update(); };
  return subscribe((s) => {
    const pop = shownPop(s);
    // re-rendered only when what it shows changed (typing in its forms is kept)
    const key = pop ? `${pop.interaction_id}:${JSON.stringify(pop.customer)}:${editing}` : "";
    if (pop === shown && key === version) return;
    if (pop !== shown) editing = false;
    shown = pop;
    version = pop ? `${pop.interaction_id}:${JSON.stringify(pop.customer)}:${editing}` : "";
    render(panel, pop, editing, setEditing);
  });
}
