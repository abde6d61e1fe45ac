// Finding a customer, for supervisors and admins (who get no work of their own, so no
// screen pop comes to them): by a phone number, an email address or a chat handle
// (GET /api/customers?identity=), with their latest interactions
// (GET /api/customers/{id}/timeline). The customer is shown in the screen pop, where a
// supervisor can, for example, choose their account manager (owner.js).
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
      const history = await latest(customer.id);
      update((s) => { s.lookup = { interaction_id: null, customer: { ...customer, history } }; });
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
