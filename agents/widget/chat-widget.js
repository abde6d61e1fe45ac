/*
 * ccengine chat widget: embed with one tag, e.g.
 *   <script src="https://contact.example.com/chat/widget.js" data-entry="web" async></script>
 * Options (data- attributes of that tag): data-entry (the entry point, default: the
 * engine's default), data-title (panel title), data-open="true" (open at load),
 * data-language (keep the help search to articles in this language, e.g. "fr").
 *
 * Plain JavaScript, no build step. Everything it shows is set as text (textContent), never
 * as HTML. It lives in a shadow root, so the page's styles and its own do not mix. A chat
 * survives page reloads (its token is kept in sessionStorage for this tab) and network
 * drops: it reconnects, resumes the same chat and re-sends what the engine did not
 * acknowledge (each message carries a client_id, so nothing is stored twice).
 *
 * Before a chat it offers a search of the engine's published help articles (GET /chat/kb;
 * hidden when the engine has none): results are links to the articles' public pages, in a
 * new tab. A chat started after a search tells the engine which articles were shown and
 * which the visitor opened ("kb" of POST /chat/sessions), so reports can tell who chatted
 * anyway.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var base = new URL(script.src, document.baseURI);
  var origin = base.origin;
  var entry = script.getAttribute("data-entry") || undefined;
  var title = script.getAttribute("data-title") || "Chat with us";
  var kbLanguage = script.getAttribute("data-language") || "";
  var storeKey = "ccengine-chat:" + origin;

  var CSS = [
    ":host{all:initial}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:10px 16px;",
    "border:0;border-radius:20px;background:#1f5fbf;color:#fff;font:15px sans-serif;cursor:pointer}",
    ".panel{position:fixed;right:20px;bottom:70px;z-index:2147483000;width:320px;max-height:480px;",
    "display:flex;flex-direction:column;background:#fff;color:#222;font:14px sans-serif;",
    "border:1px solid #bbb;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.2)}",
    ".panel[hidden],.launcher[hidden],[hidden]{display:none}",
    ".head{padding:8px 12px;background:#1f5fbf;color:#fff;border-radius:8px 8px 0 0;display:flex}",
    ".head .title{flex:1}.head button{background:none;border:0;color:#fff;cursor:pointer}",
    ".status{padding:4px 12px;font-size:12px;color:#555}",
    ".log{flex:1;overflow-y:auto;padding:8px 12px;min-height:160px}",
    ".msg{margin:4px 0;padding:6px 8px;border-radius:6px;white-space:pre-wrap;word-wrap:break-word}",
    ".msg.visitor{background:#e6f0ff;margin-left:30px}.msg.agent{background:#f0f0f0;margin-right:30px}",
    ".msg.system{color:#666;font-style:italic;background:none}",
    ".msg.pending{opacity:.6}.msg.failed{border:1px solid #c00}",
    "form{display:flex;flex-direction:column;gap:6px;padding:8px 12px}",
    "input,textarea{font:14px sans-serif;padding:5px;border:1px solid #bbb;border-radius:4px}",
    ".compose{display:flex;gap:6px;padding:8px 12px;border-top:1px solid #ddd}",
    ".compose textarea{flex:1;resize:none;height:38px}",
    ".tools{display:flex;gap:6px;padding:0 12px 8px}",
    "button.act{background:#1f5fbf;color:#fff;border:0;border-radius:4px;padding:6px 10px;cursor:pointer}",
    "button.alt{background:#eee;color:#222;border:0;border-radius:4px;padding:6px 10px;cursor:pointer}",
    ".kb{padding:8px 12px 0;overflow-y:auto;max-height:260px}",
    ".kb form{padding:0;flex-direction:row}.kb form input{flex:1;min-width:0}",
    ".kb label{display:block;font-weight:bold;margin-bottom:4px}",
    ".kb ul{list-style:none;margin:6px 0 0;padding:0}.kb li{margin:0 0 8px}",
    ".kb a{color:#1f5fbf;font-weight:bold}.kb .excerpt{color:#444;font-size:12px}",
    ".kb .kb-status{font-size:12px;color:#444;min-height:1em}",
    ".kb button.kb-chat{width:100%;margin:4px 0 0}"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var host = el("div", { id: "ccengine-chat" });
  var root = host.attachShadow({ mode: "open" });
  var style = el("style");
  style.textContent = CSS;
  var launcher = el("button", { "class": "launcher", type: "button" }, title);
  var panel = el("div", { "class": "panel", role: "dialog", "aria-label": title });
  panel.hidden = true;
  var head = el("div", { "class": "head" });
  var close = el("button", { type: "button", "aria-label": "Minimise" }, "\u2013");
  head.appendChild(el("span", { "class": "title" }, title));
  head.appendChild(close);
  var status = el("div", { "class": "status", "aria-live": "polite" });

  var kbBox = el("div", { "class": "kb" });
  var kbForm = el("form", { "class": "kb-search", role: "search" });
  var kbLabel = el("label", { "for": "ccengine-kb-q" }, "Search our help articles");
  var kbInput = el("input", { id: "ccengine-kb-q", name: "q", type: "search", maxlength: "200",
    autocomplete: "off" });
  var kbBtn = el("button", { "class": "act", type: "submit" }, "Search");
  kbForm.appendChild(kbInput);
  kbForm.appendChild(kbBtn);
  var kbStatus = el("div", { "class": "kb-status", role: "status", "aria-live": "polite" });
  var kbList = el("ul", { "class": "kb-results", "aria-label": "Help articles" });
  var kbChat = el("button", { "class": "alt kb-chat", type: "button" }, "Still need help? Chat with us");
  kbChat.hidden = true;
  [kbLabel, kbForm, kbStatus, kbList, kbChat].forEach(function (n) { kbBox.appendChild(n); });

  var form = el("form", { "class": "start" });
  var nameIn = el("input", { name: "name", placeholder: "Your name (optional)", maxlength: "100" });
  var emailIn = el("input", { name: "email", type: "email", placeholder: "Email (optional)" });
  var phoneIn = el("input", { name: "phone", type: "tel", placeholder: "Phone (optional)" });
  // the visitor's question: the chat's first message, read before the chat is queued so
  // it can reach the right team (and the agent who helped them with it before)
  var questionIn = el("textarea", { name: "message", rows: "2", maxlength: "2000",
    placeholder: "How can we help? (optional)", "aria-label": "How can we help? (optional)" });
  var startBtn = el("button", { "class": "act", type: "submit" }, "Start chat");
  [nameIn, emailIn, phoneIn, questionIn, startBtn].forEach(function (n) { form.appendChild(n); });

  var log = el("div", { "class": "log", role: "log" });
  var compose = el("form", { "class": "compose" });
  var input = el("textarea", { name: "text", placeholder: "Type a message", rows: "2" });
  var sendBtn = el("button", { "class": "act send", type: "submit" }, "Send");
  compose.appendChild(input);
  compose.appendChild(sendBtn);
  var tools = el("div", { "class": "tools" });
  var numberIn = el("input", { name: "number", type: "tel", placeholder: "Call me on\u2026" });
  var callBtn = el("button", { "class": "alt callback", type: "button" }, "Call me back");
  var endBtn = el("button", { "class": "alt end", type: "button" }, "End chat");
  var againBtn = el("button", { "class": "act again", type: "button" }, "New chat");
  [numberIn, callBtn, endBtn, againBtn].forEach(function (n) { tools.appendChild(n); });
  [head, status, kbBox, form, log, compose, tools].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(style);
  root.appendChild(launcher);
  root.appendChild(panel);

  var chat = load();          // {chat_id, token} of the chat in progress, or null
  var ws = null;
  var ended = false;
  var retry = 0;
  var pending = {};           // client_id -> {text, node}: sent, not acknowledged yet
  var order = [];             // client_ids in the order they were written
  var maxChars = 2000;
  // the help search before a chat: off when the engine has no knowledge base; collapsed
  // hides the start form while results are shown; shown/opened: article ids, in order
  var kb = { off: false, collapsed: false, searched: false, shown: [], opened: [] };

  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  function save(value) {
    try {
      if (value) { sessionStorage.setItem(storeKey, JSON.stringify(value)); }
      else { sessionStorage.removeItem(storeKey); }
    } catch (e) { /* storage refused: the chat still works until the page goes */ }
  }
  function setStatus(text) { status.textContent = text; }
  function show(view) {
    kbBox.hidden = view !== "form" || kb.off;
    form.hidden = view !== "form" || (kb.collapsed && !kb.off);
    log.hidden = view === "form";
    compose.hidden = view !== "chat";
    numberIn.hidden = callBtn.hidden = endBtn.hidden = view !== "chat";
    againBtn.hidden = view !== "ended";
    tools.hidden = view === "form";
  }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function line(kind, text, who) {
    var node = el("div", { "class": "msg " + kind });
    if (who) { node.setAttribute("data-from", who); }
    node.textContent = text;
    log.appendChild(node);
    scroll();
    return node;
  }
  function system(text) { return line("system", text); }
  function newId() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function open() { panel.hidden = false; launcher.hidden = true; if (!chat) { show("form"); } }
  launcher.addEventListener("click", open);
  close.addEventListener("click", function () { panel.hidden = true; launcher.hidden = false; });

  function remember(list, id) {
    if (list.indexOf(id) < 0 && list.length < 20) { list.push(id); }
  }
  function kbReset() {
    kb.collapsed = kb.searched = false;
    kb.shown = [];
    kb.opened = [];
    kbInput.value = "";
    kbStatus.textContent = "";
    kbList.textContent = "";
    kbChat.hidden = true;
  }
  function article(a) {
    var url;
    try { url = new URL(a.url, origin); } catch (e) { return null; }
    if (url.protocol !== "https:" && url.protocol !== "http:") { return null; }
    var item = el("li");
    var link = el("a", { href: url.href, target: "_blank", rel: "noopener" }, a.title);
    var opened = function () { remember(kb.opened, a.id); };
    link.addEventListener("click", opened);
    link.addEventListener("auxclick", opened);
    item.appendChild(link);
    if (a.excerpt) { item.appendChild(el("div", { "class": "excerpt" }, a.excerpt)); }
    return item;
  }
  kbForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = kbInput.value.trim().slice(0, 200);
    if (!q) { kbInput.focus(); return; }
    kbBtn.disabled = true;
    kbStatus.textContent = "Searching\u2026";
    var params = "q=" + encodeURIComponent(q);
    if (kbLanguage) { params += "&language=" + encodeURIComponent(kbLanguage); }
    fetch(origin + "/chat/kb?" + params).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, ok: r.ok, data: data }; });
    }).then(function (res) {
      kbBtn.disabled = false;
      if (res.status === 503) { kb.off = true; show("form"); return; }
      if (!res.ok) { kbStatus.textContent = res.data.message || "The search did not work."; return; }
      kb.searched = true;
      kbList.textContent = "";
      var found = (res.data.articles || []).map(function (a) {
        var item = article(a);
        if (item) { kbList.appendChild(item); remember(kb.shown, a.id); }
        return item;
      }).filter(Boolean).length;
      kbStatus.textContent = found === 0 ? "No articles found. You can chat with us below."
        : found === 1 ? "1 article found." : found + " articles found.";
      kb.collapsed = found > 0;
      kbChat.hidden = found === 0;
      show("form");
    }).catch(function () {
      kbBtn.disabled = false;
      kbStatus.textContent = "The help articles cannot be reached; try again.";
    });
  });
  kbChat.addEventListener("click", function () {
    kb.collapsed = false;
    kbChat.hidden = true;
    show("form");
    nameIn.focus();
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    startBtn.disabled = true;
    setStatus("Starting\u2026");
    var body = { name: nameIn.value, email: emailIn.value, phone: phoneIn.value };
    if (questionIn.value.trim()) { body.message = questionIn.value; }
    if (entry) { body.entry = entry; }
    if (kb.searched) { body.kb = { searched: true, articles: kb.shown, opened: kb.opened }; }
    fetch(origin + "/chat/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      startBtn.disabled = false;
      if (!res.ok) { setStatus(res.data.message || "The chat could not start."); return; }
      chat = { chat_id: res.data.chat_id, token: res.data.token };
      questionIn.value = "";
      save(chat);
      kbReset();
      log.textContent = "";
      show("chat");
      connect();
    }).catch(function () {
      startBtn.disabled = false;
      setStatus("The chat service cannot be reached; try again.");
    });
  });

  compose.addEventListener("submit", function (ev) { ev.preventDefault(); send(); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); send(); }
  });
  function send() {
    var text = input.value;
    if (!text.trim()) { return; }
    if (text.length > maxChars) { setStatus("Messages are limited to " + maxChars + " characters."); return; }
    input.value = "";
    var id = newId();
    pending[id] = { text: text, node: line("visitor pending", text, "visitor") };
    order.push(id);
    transmit(id);
  }
  function transmit(id) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "message", text: pending[id].text, client_id: id }));
    }
  }
  callBtn.addEventListener("click", function () {
    if (!numberIn.value.trim() || !ws || ws.readyState !== WebSocket.OPEN) { return; }
    ws.send(JSON.stringify({ type: "callback", number: numberIn.value, client_id: newId() }));
  });
  endBtn.addEventListener("click", function () {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify({ type: "end" })); }
    else { finish("You ended the chat."); }
  });
  againBtn.addEventListener("click", function () { log.textContent = ""; show("form"); setStatus(""); });

  function finish(text) {
    ended = true;
    chat = null;
    save(null);
    Object.keys(pending).forEach(function (id) { pending[id].node.classList.add("failed"); });
    pending = {};
    order = [];
    setStatus(text);
    system(text);
    show("ended");
  }

  var REASONS = {
    agent_closed: "The agent ended the chat.", visitor_ended: "You ended the chat.",
    visitor_left: "The chat ended while you were away.",
    idle_timeout: "The chat ended after a quiet spell.", ended: "The chat has ended."
  };

  function render(m) {
    var node = line(m.from === "agent" ? "agent" : "visitor", m.text, m.from);
    node.setAttribute("data-id", String(m.id));
  }

  function onFrame(f) {
    if (f.type === "hello") {
      retry = 0;
      maxChars = f.max_message_chars || maxChars;
      log.textContent = "";
      var acked = {};
      f.messages.forEach(function (m) { render(m); if (m.client_id) { acked[m.client_id] = true; } });
      setStatus(f.state === "active" ? "Chatting with " + f.agent : "Waiting for an agent\u2026");
      order = order.filter(function (id) { return pending[id] && !acked[id]; });
      Object.keys(pending).forEach(function (id) { if (acked[id]) { delete pending[id]; } });
      order.forEach(function (id) {
        pending[id].node = line("visitor pending", pending[id].text, "visitor");
        transmit(id);
      });
    } else if (f.type === "ack") {
      var p = pending[f.client_id];
      if (p) { p.node.classList.remove("pending"); p.node.setAttribute("data-id", String(f.id)); }
      delete pending[f.client_id];
      order = order.filter(function (id) { return id !== f.client_id; });
    } else if (f.type === "message") {
      render(f);
    } else if (f.type === "agent_joined") {
      setStatus("Chatting with " + f.agent);
      system(f.agent + " joined the chat.");
    } else if (f.type === "callback_requested") {
      system("We will call you back on " + f.number + ".");
      numberIn.value = "";
    } else if (f.type === "ended") {
      finish(REASONS[f.reason] || REASONS.ended);
    } else if (f.type === "error") {
      if (f.error === "chat_not_found") { finish(REASONS.ended); return; }
      if (f.client_id && pending[f.client_id]) {
        pending[f.client_id].node.classList.add("failed");
        delete pending[f.client_id];
        order = order.filter(function (id) { return id !== f.client_id; });
      }
      system(f.error === "callbacks_unavailable" ? "Callbacks are not available, sorry."
        : "Not sent: " + f.message);
    }
  }

  function connect() {
    if (!chat) { return; }
    ended = false;
    var url = origin.replace(/^http/, "ws") + "/chat/ws?token=" + encodeURIComponent(chat.token);
    ws = new WebSocket(url);
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    };
    ws.onclose = function (ev) {
      ws = null;
      if (ended || !chat) { return; }
      if (ev.code === 4404) { finish(REASONS.ended); return; }
      setStatus("Reconnecting\u2026");
      retry = Math.min(retry + 1, 5);
      setTimeout(connect, Math.min(15000, 500 * Math.pow(2, retry)));
    };
  }

  function mount() {
    document.body.appendChild(host);
    if (chat) { open(); show("chat"); setStatus("Reconnecting\u2026"); connect(); }
    else if (script.getAttribute("data-open") === "true") { open(); }
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
  window.CCEngineChat = { open: open };
}());
