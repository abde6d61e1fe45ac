// Wrap-up of a piece of work: its disposition (the queue's list), notes, and the time left.
// "Finish wrap-up" saves both and frees the agent at once; when the timer runs out first,
// whatever is typed can still be saved (the item stays until then). A campaign's call also
// says what its dispositions do next, and asks when to call back (campaign.js).
import { announce } from "./announce.js";
import { post, put } from "./api.js";
import { campaignFollowUp } from "./campaign.js";
import { h, setText } from "./dom.js";
import { tell } from "./desk.js";
import { intentChoice } from "./intent-choice.js";
import { state, update } from "./store.js";
import { duration, now } from "./time.js";

function dispositionsFor(queue) {
  const d = (state.desk && state.desk.dispositions) || {};
  return (d.queues && d.queues[queue]) || d.default || [];
}

export function wrapupView(item) {
  const path = `/api/interactions/${encodeURIComponent(item.id)}`;
  const queue = item.pop && item.pop.queue;
  const choices = dispositionsFor(queue);
  const disposition = choices.length
    ? h("select", { id: `disposition-${item.id}` }, h("option", { value: "" }, "Choose…"),
      ...choices.map((c) => h("option", { value: c }, c)))
    : h("input", { id: `disposition-${item.id}`, maxlength: 100 });
  const notes = h("textarea", { id: `notes-${item.id}`, rows: 3 });
  const intent = intentChoice(item);
  const followUp = campaignFollowUp(item, disposition);
  followUp.start(item.pop);
  const left = h("p", { class: "wrapup-timer", "aria-live": "off" });
  const finish = h("button", { type: "button", class: "primary finish-wrapup",
    "aria-keyshortcuts": "Alt+Shift+W" }, "Finish wrap-up");
  const saved = h("p", { class: "saved", role: "status" });
  const draft = () => {
    item.draft = Boolean(notes.value.trim() || disposition.value || (intent && intent.select.value));
  };
  notes.addEventListener("input", draft);
  disposition.addEventListener("change", draft);
  if (intent) intent.select.addEventListener("change", draft);

  finish.addEventListener("click", async () => {
    finish.disabled = true;
    try {
      const extra = disposition.value ? followUp.extra() : {};
      if (!extra) {
        const text = "Choose when to call back.";
        tell(text);
        announce(text, { assertive: true });
        return;
      }
      if (disposition.value) {
        await put(`${path}/disposition`, { disposition: disposition.value, ...extra });
      }
      if (notes.value.trim()) await post(`${path}/notes`, { text: notes.value.trim() });
      if (intent) await intent.save(path);
      item.draft = false;
      setText(saved, "Saved.");
      if (!item.released) await post(`${path}/wrapup/end`);
      announce("Wrap-up finished.");
      tell("");
      if (item.released) update((s) => { s.work.delete(item.id); if (s.selected === item.id) s.selected = null; });
    } catch (e) {
      tell(e.message);
      if (e.code === "bad_callback_at") followUp.refused();
    } finally {
      finish.disabled = false;
    }
  });
  const el = h("section", { class: "wrapup", "aria-labelledby": `wrapup-${item.id}` },
    h("h3", { id: `wrapup-${item.id}` }, "Wrap-up"),
    h("label", { for: disposition.id }, "Disposition"), disposition, followUp.el,
    intent && intent.el,
    h("label", { for: notes.id }, "Notes"), notes, left, h("div", {}, finish), saved);
  return {
    el,
    refresh(current) {
      followUp.start(current.pop);   // a pop that came after the view was built
      const inWrapup = current.slot.state === "wrap_up" || current.released;
      el.hidden = !inWrapup;
      if (current.released) setText(left, "Wrap-up time is over: save what you typed.");
      else if (current.slot.until) setText(left, `${duration(current.slot.until - now())} left`);
      setText(finish, current.released ? "Save" : "Finish wrap-up");
    },
  };
}
