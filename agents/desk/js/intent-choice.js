// Wrap-up's "What was it about?": the agent confirms or corrects the intent the classifier
// read (the pop's "About: ..."), or names one for a call. Only a choice the agent makes is
// sent: the classifier learns from it, and reports count repeat contacts by it.
import { put } from "./api.js";
import { h } from "./dom.js";
import { state } from "./store.js";

export function intentChoice(item) {
  const names = (state.desk && state.desk.intents) || [];
  if (!names.length) return null;
  const detected = item.pop && item.pop.intent && item.pop.intent.name;
  const id = `intent-${item.id}`;
  const select = h("select", { id, "aria-describedby": detected ? `${id}-detected` : null },
    h("option", { value: "" }, "Choose…"),
    ...names.map((n) => h("option", { value: n }, n)));
  const el = h("div", { class: "intent-choice" },
    h("label", { for: id }, "What was it about?"), select,
    detected ? h("p", { class: "hint", id: `${id}-detected` }, `Detected: ${detected}`) : null);
  return {
    el,
    select,
    /** Send the agent's choice, if any (the work's path: /api/interactions/{id}). */
    async save(path) {
      if (select.value) await put(`${path}/intent`, { intent: select.value });
    },
  };
}
