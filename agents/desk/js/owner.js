// The customer's owner in the screen pop: the account manager whom named-contact routing
// offers their work to first (a queue's `prefer: [owner]`). Everyone reads it ("Account
// manager: Alice"); supervisors and admins choose another agent or none
// (PATCH /api/customers/{id} {"owner"}). Agents' names come from GET /api/agents; every
// name is set as text.
import { announce } from "./announce.js";
import { get, patch } from "./api.js";
import { h, setText } from "./dom.js";
import { state } from "./store.js";

const STAFF = ["supervisor", "admin"];
const FRESH_MS = 60_000;   // the agents' list is asked for again after a minute

let agents = null;         // the promise of [{id, name}], while fresh
let askedAt = 0;

function agentList() {
  if (!agents || Date.now() - askedAt > FRESH_MS) {
    askedAt = Date.now();
    agents = get("/api/agents").then((list) => list.map((a) => ({ id: a.id, name: a.name || a.id })));
    agents.catch(() => { agents = null; });
  }
  return agents;
}

function nameOf(list, id) {
  const agent = list.find((a) => a.id === id);
  return agent ? agent.name : id;
}

function ownerText(name) {
  return name ? `Account manager: ${name}` : "No account manager";
}

function mayChoose() {
  const user = state.session && state.session.user;
  return Boolean(user && STAFF.includes(user.role));
}

/** The owner's line, and for supervisors and admins the control to change it; `saved`
 * gets the customer as the API answers after a change. */
export function ownerPart(customer, saved) {
  const owner = customer.owner || null;
  const line = h("p", { class: "owner", id: "pop-owner" }, ownerText(owner));
  const part = h("div", { class: "owner-part" }, line);
  const choose = mayChoose();
  const select = h("select", { id: "owner-select", disabled: true,
    "aria-describedby": "owner-error" });
  // a refusal stays in view; screen readers hear it through the announcer
  const error = h("p", { class: "owner-error", id: "owner-error", hidden: true });
  const form = h("form", { class: "owner-form", "aria-label": "Change the account manager" },
    h("label", { for: "owner-select" }, "Account manager"), " ", select, " ",
    h("button", { type: "submit", id: "owner-save" }, "Save"), error);
  if (choose) part.append(form);
  let list = [];

  const fail = (text) => {
    setText(error, text);
    error.hidden = false;
    announce(text, { assertive: true });
  };
  agentList().then((found) => {
    list = found;
    setText(line, ownerText(owner && nameOf(list, owner)));
    const options = [h("option", { value: "" }, "No account manager"),
      ...list.map((a) => h("option", { value: a.id }, a.name))];
    // an owner no longer configured stays listed, so nothing changes unless chosen
    if (owner && !list.some((a) => a.id === owner)) options.push(h("option", { value: owner }, owner));
    select.replaceChildren(...options);
    select.value = owner || "";
    select.disabled = false;
  }, (err) => {
    if (choose) fail(`The agents cannot be listed: ${err.message}`);
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = select.value || null;
    error.hidden = true;
    if (chosen === owner) {
      announce("The account manager is unchanged.");
      return;
    }
    const hadFocus = form.contains(document.activeElement);
    try {
      const changed = await patch(`/api/customers/${encodeURIComponent(customer.id)}`, { owner: chosen });
      announce(chosen ? `Account manager set to ${nameOf(list, chosen)}.` : "Account manager cleared.");
      saved(changed);
      // the pop is drawn again with the change: the keyboard stays on the control
      if (hadFocus) setTimeout(() => document.getElementById("owner-select")?.focus(), 0);
    } catch (err) {
      fail(`The account manager was not changed: ${err.message}`);
    }
  });
  return part;
}
