// The phone panel: the WebRTC softphone's state, the microphone (device choice, a level
// check, a clear word when the browser blocks it), auto-answer, and the call in progress
// (mute, hold, keypad, hang up). A desk SIP phone agent sees where their calls ring.
import { announce } from "./announce.js";
import { get, post } from "./api.js";
import { h, setText } from "./dom.js";
import { tell } from "./desk.js";
import { state, subscribe, update } from "./store.js";
import { duration } from "./time.js";

const DEVICE_KEY = "ccengine.desk.microphone";
const AUTO_KEY = "ccengine.desk.autoAnswer";
const DENIED = "Your browser blocks the microphone for this page. Allow it (the icon in the "
  + "address bar, or the site's settings), then press Check microphone.";
const MISSING = "No microphone was found. Plug one in, then press Check microphone.";

let phone = null;
let details = null;
let pendingAnswer = null;   // an interaction the agent accepted before its call rang here
let micOk = false;

export function currentPhone() {
  return phone;
}

export function phoneKind() {
  return details ? details.kind : null;
}

export function autoAnswer() {
  return localStorage.getItem(AUTO_KEY) === "1";
}

function setPhone(change) {
  update((s) => { change(s.phone); });
}

/** Ask for the microphone once (chosen device); false, with the reason shown, if refused. */
export async function ensureMicrophone() {
  if (phoneKind() !== "webrtc" || micOk) return true;
  try {
    const deviceId = localStorage.getItem(DEVICE_KEY);
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: deviceId ? { deviceId: { exact: deviceId } } : true });
    stream.getTracks().forEach((t) => t.stop());
    micOk = true;
    setPhone((p) => { p.error = ""; });
    return true;
  } catch (e) {
    const text = e && e.name === "NotFoundError" ? MISSING
      : e && e.name === "OverconstrainedError" ? MISSING : DENIED;
    setPhone((p) => { p.error = text; });
    tell(text);
    announce(text, { assertive: true });
    return false;
  }
}

/** Answer the call of this interaction (now, or as soon as it rings here). */
export function answerCall(interactionId) {
  if (!phone) return false;
  const call = phone.call;
  if (call && call.state === "ringing" && (!call.interactionId || call.interactionId === interactionId)) {
    phone.answer();
    return true;
  }
  pendingAnswer = interactionId;
  return true;
}

/**
 * Call a number: the engine rings the agent's own phone first (this page answers it by
 * itself), then dials the number through the trunk under the dialling policy. A refusal
 * comes back in words (the policy's reason).
 */
export async function placeCall(number) {
  const agent = state.agent;
  if (!agent) return null;
  if (phoneKind() === "webrtc" && !(await ensureMicrophone())) return null;
  try {
    const placed = await post(`/api/agents/${encodeURIComponent(agent.id)}/dial`, { number });
    // the engine rings this page first; the ring may come before this answer does
    answerCall(placed.interaction_id);
    announce(`Calling ${placed.number || number}.`);
    tell("");
    return placed;
  } catch (e) {
    tell(e.message);
    announce(e.message, { assertive: true });
    return null;
  }
}

/** Forget an answer asked for: the call it was for will not ring after all. */
export function forgetAnswer(interactionId) {
  if (pendingAnswer === interactionId) pendingAnswer = null;
}

export function declineCall(interactionId) {
  const call = phone && phone.call;
  if (call && call.state === "ringing" && (!call.interactionId || call.interactionId === interactionId)) {
    phone.decline();
    return true;
  }
  return false;
}

export function hangUp() {
  if (phone && phone.call) phone.hangup();
}

export function stopPhone() {
  if (phone) phone.stop();
  phone = null;
  details = null;
  micOk = false;
  setPhone((p) => { p.status = "none"; p.call = null; p.error = ""; });
}

async function startPhone(audio) {
  try {
    details = await get("/api/phone");
  } catch {
    details = null;
    return;
  }
  if (details.kind !== "webrtc") {
    setPhone((p) => { p.status = "desk-phone"; });
    return;
  }
  // JsSIP (the bulk of the page's weight) is loaded only for a WebRTC phone
  const { Phone } = await import("./phone.js");
  phone = new Phone(details, { deviceId: localStorage.getItem(DEVICE_KEY), audio });
  phone.addEventListener("status", (e) => {
    setPhone((p) => { p.status = e.detail.state; });
    if (e.detail.state === "registered") announce("Phone ready.");
    if (e.detail.state === "failed") announce("The phone could not register.", { assertive: true });
  });
  phone.addEventListener("incoming", (e) => {
    const call = e.detail.call;
    setPhone((p) => { p.call = { ...callView(call) }; });
    // the call of work already in hand rings again after a reload or a network drop
    // (the caller waited on music): it is the agent's own call, answered at once
    const rejoin = call.interactionId && state.work.has(call.interactionId);
    if (rejoin) announce("Your call is back: reconnecting.", { assertive: true });
    if (rejoin || autoAnswer()
        || (pendingAnswer && (!call.interactionId || call.interactionId === pendingAnswer))) {
      pendingAnswer = null;
      phone.answer();
    }
  });
  phone.addEventListener("call", (e) => {
    const { call, state: what } = e.detail;
    setPhone((p) => { p.call = what === "ended" ? null : callView(call); });
    const words = { answered: "Call connected.", held: "Call on hold.", resumed: "Call resumed.",
      muted: "Microphone muted.", unmuted: "Microphone on.", ended: "Call ended." };
    if (words[what]) announce(words[what]);
  });
  phone.start();
}

function callView(call) {
  return { interactionId: call.interactionId, from: call.from, state: call.state,
    muted: call.muted, held: call.held, since: call.answeredAt };
}

async function listDevices(select) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = (await navigator.mediaDevices.enumerateDevices())
    .filter((d) => d.kind === "audioinput");
  const chosen = localStorage.getItem(DEVICE_KEY) || "";
  select.replaceChildren(h("option", { value: "" }, "Default microphone"),
    ...devices.filter((d) => d.deviceId && d.deviceId !== "default").map((d, i) =>
      h("option", { value: d.deviceId, selected: d.deviceId === chosen },
        d.label || `Microphone ${i + 1}`)));
  select.value = chosen;
}

async function checkMicrophone(meter, result) {
  micOk = false;
  if (!(await ensureMicrophone())) { setText(result, DENIED); return; }
  const deviceId = localStorage.getItem(DEVICE_KEY);
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: deviceId ? { deviceId: { exact: deviceId } } : true });
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let peak = 0;
  const started = performance.now();
  setText(result, "Listening… say something.");
  await new Promise((resolve) => {
    const step = () => {
      analyser.getByteTimeDomainData(data);
      const level = Math.max(...data.map((v) => Math.abs(v - 128))) / 128;
      peak = Math.max(peak, level);
      meter.value = Math.round(level * 100);
      if (performance.now() - started < 2500) requestAnimationFrame(step); else resolve();
    };
    step();
  });
  stream.getTracks().forEach((t) => t.stop());
  ctx.close();
  meter.value = 0;
  const text = peak > 0.02 ? "Microphone works." : "The microphone is silent: check the device "
    + "or choose another one.";
  setText(result, text);
  announce(text);
}

export function mountPhone(side) {
  const audio = h("audio", { id: "remote-audio", autoplay: true });
  const status = h("p", { class: "phone-status", id: "phone-status" });
  const error = h("p", { class: "phone-error", id: "phone-error", role: "alert" });
  const devices = h("select", { id: "microphone", "aria-label": "Microphone" });
  devices.addEventListener("change", () => {
    localStorage.setItem(DEVICE_KEY, devices.value);
    micOk = false;
    if (phone) phone.deviceId = devices.value || null;
  });
  const meter = h("meter", { id: "mic-level", min: 0, max: 100, value: 0,
    "aria-label": "Microphone level" });
  const checkResult = h("p", { class: "mic-result", id: "mic-result", "aria-live": "polite" });
  const check = h("button", { type: "button", id: "check-mic",
    onclick: () => checkMicrophone(meter, checkResult).then(() => listDevices(devices)) },
  "Check microphone");
  const auto = h("input", { type: "checkbox", id: "auto-answer", checked: autoAnswer() });
  auto.addEventListener("change", () => localStorage.setItem(AUTO_KEY, auto.checked ? "1" : "0"));
  const setup = h("div", { class: "phone-setup" },
    h("label", { for: "microphone" }, "Microphone"), devices, check, meter, checkResult,
    h("label", { class: "inline" }, auto, " Answer calls automatically"));

  const from = h("p", { class: "call-from", id: "call-from" });
  const answer = h("button", { type: "button", id: "answer", class: "primary",
    onclick: () => phone && phone.answer() }, "Answer");
  const mute = h("button", { type: "button", id: "mute", "aria-pressed": "false",
    onclick: () => phone && phone.call && phone.mute(!phone.call.muted) }, "Mute");
  const hold = h("button", { type: "button", id: "hold", "aria-pressed": "false",
    onclick: () => phone && phone.call && phone.hold(!phone.call.held) }, "Hold");
  const hangup = h("button", { type: "button", id: "hang-up", class: "danger",
    "aria-keyshortcuts": "Alt+Shift+H", onclick: () => hangUp() }, "Hang up");
  const keypad = h("div", { class: "keypad", role: "group", "aria-label": "Keypad (DTMF)" },
    ..."123456789*0#".split("").map((key) => h("button", { type: "button",
      class: "key", "aria-label": `Key ${key}`, onclick: () => phone && phone.dtmf(key) }, key)));
  keypad.hidden = true;
  const keys = h("button", { type: "button", id: "keypad-toggle", "aria-expanded": "false",
    "aria-controls": "keypad" }, "Keypad");
  keypad.id = "keypad";
  keys.addEventListener("click", () => {
    keypad.hidden = !keypad.hidden;
    keys.setAttribute("aria-expanded", String(!keypad.hidden));
    if (!keypad.hidden) keypad.querySelector("button").focus();
  });
  const callBox = h("div", { class: "call", id: "phone-call", hidden: true },
    from, h("div", { class: "call-buttons" }, answer, mute, hold, keys, hangup), keypad);

  const number = h("input", { id: "dial-number", inputmode: "tel", autocomplete: "off",
    placeholder: "+44 20 7946 0123" });
  const dial = h("form", { class: "dial-form", id: "dial-form" },
    h("label", { for: "dial-number" }, "Call a number"), number,
    h("button", { type: "submit", id: "dial-call" }, "Call"));
  dial.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (number.value.trim() && await placeCall(number.value.trim())) number.value = "";
  });
  const panel = h("section", { class: "panel phone", "aria-labelledby": "phone-title" },
    h("h2", { id: "phone-title" }, "Phone"), status, error, setup, callBox, dial, audio);
  side.append(panel);
  listDevices(devices);
  if (state.desk && (state.desk.agent || ["supervisor"].includes(state.session.user.role))) {
    startPhone(audio);
  }

  const STATUS = { none: "No phone.", connecting: "Phone connecting…", registered: "Phone ready.",
    unregistered: "Phone off.", failed: "The phone could not register.",
    "desk-phone": "" };
  return subscribe((s) => {
    const p = s.phone;
    setText(status, p.status === "desk-phone" && details
      ? `Your calls ring your desk phone (SIP user ${details.user}).`
      : STATUS[p.status] || p.status);
    setText(error, p.error);
    error.hidden = !p.error;
    setup.hidden = p.status === "desk-phone" || p.status === "none";
    const call = p.call;
    callBox.hidden = !call;
    dial.hidden = Boolean(call) || !s.agent || !(s.desk && s.desk.media && s.desk.media.outbound);
    if (!call) return;
    const talking = call.since ? ` — ${duration(Date.now() / 1000 - call.since)}` : "";
    setText(from, call.state === "ringing" ? `Ringing: ${call.from}` : `On a call with ${call.from}${talking}`);
    answer.hidden = call.state !== "ringing";
    mute.hidden = hold.hidden = keys.hidden = call.state === "ringing";
    if (call.state === "ringing") keypad.hidden = true;
    setText(mute, call.muted ? "Unmute" : "Mute");
    mute.setAttribute("aria-pressed", String(call.muted));
    setText(hold, call.held ? "Resume" : "Hold");
    hold.setAttribute("aria-pressed", String(call.held));
  });
}
