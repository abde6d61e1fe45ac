// Finding a customer, for supervisors and admins (who get no work of their own, so no
// screen pop comes to them): by a phone number, an email address or a chat handle
// (GET /api/customers?identity=), with their latest interactions
// (GET /api/customers/{id}/timeline) and their consent as a screen pop has it (the ledger's
// GET /api/customers/{id}/consent, and GET /api/dnc?number= for each of their numbers). The
// customer is shown in the screen pop, where a supervisor can, for example, choose their
// account manager (owner.js) or record their consent (consent.js).
import { announce } from "./announce.js";
import { get } from "./api.js";
import { h, setText } from "./dom.js";
import { state, update } from "./store.js";

const STAFF = ["supervisor", "admin"];
const HISTORY = 5;

async function latest(customerId) {
  try {
    const page = await get(`/api/customers/${encodeURIComponent(customerId)}/timeline?limit=${HISTORY}`);
    return page.items || [];
  } catch {
    return [];   // the profile is shown even if the history cannot be read
  }
}

/** The pop's consent summary: per channel and purpose the state (or null), and the
 *  customer's numbers on the do-not-call list; null when it cannot be read. */
async function consentOf(customer) {
  try {
    const id = encodeURIComponent(customer.id);
    const page = await get(`/api/customers/${id}/consent`);
    const summary = { email: { marketing: null, service: null },
      phone: { marketing: null, service: null } };
    for (const c of page.consents || []) {
      if (summary[c.channel]) summary[c.channel][c.purpose] = c.state;
    }
    const phones = (customer.identities || []).filter((i) => i.kind === "phone");
    const listed = [];
    for (const phone of phones) {
      const found = await get(`/api/dnc?number=${encodeURIComponent(phone.value)}`);
      if (found.listed) listed.push(found.number);
    }
    return { ...summary, do_not_call: listed.sort() };
  } catch {
    return null;   // the profile is shown without it
  }
}

export function mountLookup(container) {
  const user = state.session && state.session.user;
  if (!user || !STAFF.includes(user.role)) return null;
  const input = h("input", { id: "lookup-q", type: "search", autocomplete: "off", maxlength: 320 });
  const status = h("p", { class: "lookup-status", id: "lookup-status" });
  const form = h("form", { class: "lookup", role: "search", "aria-label": "Find a customer" },
    h("label", { for: "lookup-q" }, "Find a customer (phone, email or chat handle)"),
    h("div", { class: "row" }, input, h("button", { type: "submit", id: "lookup-find" }, "Find")),
    status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const identity = input.value.trim();
    if (!identity) return;
    setText(status, "");
    try {
      const customer = await get(`/api/customers?identity=${encodeURIComponent(identity)}`);
      const [history, consent] = await Promise.all([latest(customer.id), consentOf(customer)]);
      update((s) => {
        s.lookup = { interaction_id: null, customer: { ...customer, history, consent } };
      });
      announce(`Showing ${customer.name || "a customer without a name"}.`);
    } catch (err) {
      const text = err.status === 404 ? `No customer has ${identity}.` : err.message;
      setText(status, text);
      announce(text);
    }
  });
  container.append(form);
  return () => {
    form.remove();
    update((s) => { s.lookup = null; });
  };
}
