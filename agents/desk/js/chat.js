// A chat in hand: the live transcript and a reply box (Enter sends, Shift+Enter makes a new
// line, "/" finds a canned response); End chat closes it (the agent goes to wrap-up).
import { post } from "./api.js";
import { attachCanned } from "./canned.js";
import { loadMessages, normalise, transcript } from "./conversation.js";
import { h, setText } from "./dom.js";
import { tell } from "./desk.js";
import { update } from "./store.js";

export function chatView(item) {
  const path = `/api/interactions/${encodeURIComponent(item.id)}`;
  const log = transcript("Chat transcript");
  const box = h("textarea", { class: "reply", id: `reply-${item.id}`, rows: 3,
    "aria-label": "Your message (Enter sends, Shift+Enter: new line, / for canned responses)" });
  const send = h("button", { type: "button", class: "primary send" }, "Send");
  const end = h("button", { type: "button", class: "end-chat", id: `end-chat-${item.id}` },
    "End chat");
  const ended = h("p", { class: "ended", role: "status" });
  const canned = attachCanned(box, "chat");
  const form = h("div", { class: "composer" }, box, canned, h("div", { class: "composer-buttons" }, send, end));

  const sendNow = async () => {
    const text = box.value;
    if (!text.trim()) return;
    send.disabled = true;
    try {
      const m = await post(`${path}/messages`, { text });
      box.value = "";
      update(() => {
        if (item.messages && !item.messages.some((x) => x.id === m.id)) item.messages.push(normalise(m));
      });
    } catch (e) {
      tell(e.message);
    } finally {
      send.disabled = false;
      box.focus();
    }
  };
  send.addEventListener("click", sendNow);
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendNow(); }
  });
  end.addEventListener("click", async () => {
    try { await post(`${path}/close`, { reason: "resolved" }); } catch (e) { tell(e.message); }
  });

  const el = h("div", { class: "chat-view" }, log.el, ended, form);
  loadMessages(item);
  return {
    el,
    refresh(current) {
      log.render(current.messages);
      const over = current.ended || current.slot.state === "wrap_up";
      setText(ended, current.ended && current.ended !== true
        ? `The chat has ended (${current.ended}).` : over ? "The chat has ended." : "");
      form.hidden = Boolean(over);
    },
  };
}
