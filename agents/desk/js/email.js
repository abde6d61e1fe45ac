// An email in hand: the whole thread (this conversation's earlier mails too), and a reply
// box with Reply and Reply and close; "/" finds a canned response.
import { post } from "./api.js";
import { attachCanned } from "./canned.js";
import { loadMessages, normalise, transcript } from "./conversation.js";
import { h } from "./dom.js";
import { tell } from "./desk.js";
import { update } from "./store.js";

export function emailView(item) {
  const path = `/api/interactions/${encodeURIComponent(item.id)}`;
  const thread = transcript("Email thread");
  const box = h("textarea", { class: "reply", id: `reply-${item.id}`, rows: 6,
    "aria-label": "Your reply (/ for canned responses)" });
  const reply = h("button", { type: "button", class: "primary reply-send" }, "Reply");
  const replyClose = h("button", { type: "button", class: "reply-close" }, "Reply and close");
  const canned = attachCanned(box, "email");
  const form = h("div", { class: "composer" }, box, canned,
    h("div", { class: "composer-buttons" }, reply, replyClose));

  const send = async (close) => {
    const body = box.value;
    if (!body.trim()) { tell("Write your reply first."); box.focus(); return; }
    reply.disabled = replyClose.disabled = true;
    try {
      const m = await post(`${path}/reply`, close ? { body, close: true, reason: "resolved" } : { body });
      box.value = "";
      tell("");
      const stored = m && (m.message || m);
      update(() => {
        if (stored && stored.id !== undefined && item.messages
            && !item.messages.some((x) => x.id === stored.id)) item.messages.push(normalise(stored));
      });
    } catch (e) {
      tell(e.message);
    } finally {
      reply.disabled = replyClose.disabled = false;
    }
  };
  reply.addEventListener("click", () => send(false));
  replyClose.addEventListener("click", () => send(true));

  const el = h("div", { class: "email-view" }, thread.el, form);
  loadMessages(item);
  return {
    el,
    refresh(current) {
      thread.render(current.messages);
      form.hidden = current.slot.state === "wrap_up";
    },
  };
}
