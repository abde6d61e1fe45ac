// The knowledge base beside the work in hand: a search (GET /api/kb/articles), up to three
// articles suggested from the customer's latest message in the chat or email shown
// (POST /api/kb/suggestions), an article opened in place (its Markdown as text, never
// parsed), and Insert, which puts its title and public address in the reply box. Each
// suggestion is recorded once per interaction as shown, each insertion as used.
import { announce } from "./announce.js";
import { get, post } from "./api.js";
import { fill, h, setText } from "./dom.js";
import { state, subscribe } from "./store.js";

const REPLY_MEDIA = new Set(["chat", "email"]);
const SUGGESTED = 3;

let work = null;            // the chat or email shown: {id, medium, text, open}
let shown = new Set();      // "interaction:article" already recorded as shown

/** The chat or email shown (or else the newest such offer) and its customer's last words. */
function workShown(s) {
  const item = s.selected && s.work.get(s.selected);
  if (item) {
    if (!REPLY_MEDIA.has(item.medium)) return null;
    const last = (item.messages || []).filter((m) => m.direction === "in").pop();
    return { id: item.id, medium: item.medium,
      text: last ? [last.subject, last.text].filter(Boolean).join("\n") : "",
      open: item.slot.state !== "wrap_up" && !item.released && !item.ended };
  }
  const pop = [...s.offers.values()].filter((p) => REPLY_MEDIA.has(p.medium)).pop();
  return pop ? { id: pop.interaction_id, medium: pop.medium, open: false,
    text: (pop.details && pop.details.subject) || "" } : null;
}

function record(article, kind, target) {
  post(`/api/kb/articles/${article.id}/usage`, { kind, interaction_id: target.id,
    channel: kind === "used" ? target.medium : "desk" }).catch(() => {});
}

/** "Title: https://engine/kb/slug" at the caret of the reply box of the work shown. */
function insert(article) {
  const target = work;
  const box = target && target.open && document.getElementById(`reply-${target.id}`);
  if (!box) return;
  const url = new URL(article.url, location.origin).href;
  const text = /[?!.:]$/.test(article.title) ? `${article.title} ${url}` : `${article.title}: ${url}`;
  const start = box.selectionStart ?? box.value.length;
  const before = box.value.slice(0, start);
  const gap = before && !/\s$/.test(before) ? " " : "";
  box.value = before + gap + text + box.value.slice(box.selectionEnd ?? start);
  const caret = (before + gap + text).length;
  box.focus();
  box.setSelectionRange(caret, caret);
  record(article, "used", target);
  announce(`Inserted ${article.title} in your reply.`);
}

export function mountKnowledge(container) {
  shown = new Set();
  const input = h("input", { id: "kb-q", type: "search", autocomplete: "off", maxlength: 500 });
  const form = h("form", { class: "kb-search", role: "search", "aria-label": "Knowledge base" },
    h("label", { for: "kb-q" }, "Search articles"),
    h("div", { class: "row" }, input, h("button", { type: "submit" }, "Search")));
  const suggestedTitle = h("h3", { id: "kb-suggested-title", hidden: true }, "Suggested");
  const suggested = h("ul", { class: "kb-list", id: "kb-suggested",
    "aria-labelledby": "kb-suggested-title" });
  const status = h("p", { class: "kb-status", id: "kb-status" });
  const results = h("ul", { class: "kb-list", id: "kb-results", "aria-label": "Search results" });
  const articleTitle = h("h3", { id: "kb-article-title", tabindex: "-1" });
  const articleBody = h("div", { class: "kb-body", id: "kb-article-body" });
  const link = h("a", { id: "kb-article-link", target: "_blank", rel: "noopener noreferrer" },
    "Public page (opens in a new tab)");
  const articleInsert = h("button", { type: "button", class: "kb-insert primary" }, "Insert in reply");
  const close = h("button", { type: "button", class: "kb-close" }, "Close article");
  const viewer = h("section", { class: "kb-article", id: "kb-article", hidden: true,
    "aria-labelledby": "kb-article-title" }, articleTitle, articleBody, h("p", {}, link),
  h("div", { class: "row" }, articleInsert, close));
  const panel = h("section", { class: "knowledge", id: "knowledge",
    "aria-labelledby": "knowledge-title" }, h("h2", { id: "knowledge-title" }, "Knowledge"),
  suggestedTitle, suggested, form, status, results, viewer);
  container.append(panel);

  let opened = null;    // {article, from: the button that opened it}
  const canInsert = () => Boolean(work && work.open);
  const showInserts = () => {
    for (const button of panel.querySelectorAll(".kb-insert")) button.hidden = !canInsert();
  };

  const open = async (hit, from) => {
    try {
      const article = await get(`/api/kb/articles/${hit.id}`);
      opened = { article, from };
      setText(articleTitle, article.title);
      setText(articleBody, article.body);
      link.href = article.url;
      viewer.hidden = false;
      showInserts();
      articleTitle.focus();
    } catch (e) {
      setText(status, e.message);
    }
  };
  articleInsert.addEventListener("click", () => opened && insert(opened.article));
  close.addEventListener("click", () => {
    viewer.hidden = true;
    const back = opened && opened.from;
    opened = null;
    (back && back.isConnected ? back : input).focus();
  });

  const itemEl = (hit) => {
    const openButton = h("button", { type: "button", class: "kb-open",
      "aria-label": `Open ${hit.title}` }, "Open");
    openButton.addEventListener("click", () => open(hit, openButton));
    return h("li", { class: "kb-item" }, h("p", { class: "kb-title" }, hit.title),
      h("p", { class: "kb-excerpt" }, hit.excerpt || ""),
      h("div", { class: "row" }, openButton, h("button", { type: "button", class: "kb-insert",
        "aria-label": `Insert ${hit.title} in reply`, hidden: !canInsert(),
        onclick: () => insert(hit) }, "Insert")));
  };

  let searches = 0;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    const ask = ++searches;
    if (!q) { fill(results); setText(status, ""); return; }
    setText(status, "Searching…");
    try {
      const found = await get(`/api/kb/articles?q=${encodeURIComponent(q)}&limit=10`);
      if (ask !== searches) return;
      const n = found.articles.length;
      fill(results, ...found.articles.map(itemEl));
      setText(status, n ? `${n} article${n === 1 ? "" : "s"} found.` : "No article found.");
      announce(status.textContent);
    } catch (err) {
      if (ask === searches) setText(status, err.message);
    }
  });

  let asked = "";       // the work and text suggestions were last asked for
  let suggesting = 0;
  const suggest = async (target) => {
    const ask = ++suggesting;
    let articles = [];
    if (target && target.text.trim()) {
      try {
        articles = (await post("/api/kb/suggestions", { text: target.text.slice(0, 20000),
          limit: SUGGESTED })).articles;
      } catch { articles = []; }
    }
    if (ask !== suggesting) return;
    fill(suggested, ...articles.map(itemEl));
    suggestedTitle.hidden = !articles.length;
    setText(suggestedTitle, target ? `Suggested for this ${target.medium}` : "Suggested");
    for (const article of articles) {
      const key = `${target.id}:${article.id}`;
      if (!shown.has(key)) { shown.add(key); record(article, "shown", target); }
    }
    if (articles.length) {
      announce(`${articles.length} article${articles.length === 1 ? "" : "s"} suggested`);
    }
  };

  let inserting = null;
  return subscribe((s) => {
    work = workShown(s);
    const key = work ? `${work.id}\n${work.text}` : "";
    if (key !== asked) { asked = key; suggest(work); }
    if (canInsert() !== inserting) { inserting = canInsert(); showInserts(); }
  });
}
