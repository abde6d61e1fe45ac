// The softphone in the page: JsSIP registered with the signed-in user's own SIP credentials
// (GET /api/phone) over the engine's SIP websocket (/ws/sip), media straight to Asterisk.
// It knows nothing of the desk's screens: it reports what happens as events.
import JsSIP from "../vendor/jssip.js";

const INTERACTION_HEADER = "X-CCEngine-Interaction";

/** Keep only 127.0.0.1 host candidates in an SDP (Asterisk's media on loopback). */
export function keepLoopbackCandidates(sdp) {
  return sdp.split("\r\n").filter((line) =>
    !line.startsWith("a=candidate:") || / 127\.0\.0\.1 \d+ typ host/.test(line)).join("\r\n");
}

/**
 * One registered phone. Events (CustomEvent, details in `detail`): "status" {state:
 * "connecting"|"registered"|"unregistered"|"failed", reason}, "incoming" {call},
 * "call" {call, state: "ringing"|"answered"|"held"|"resumed"|"muted"|"unmuted"|"ended",
 * cause}.
 */
export class Phone extends EventTarget {
  constructor(details, { deviceId = null, audio = null } = {}) {
    super();
    this.details = details;
    this.deviceId = deviceId;
    this.audio = audio || new Audio();
    this.audio.autoplay = true;
    this.ua = null;
    this.call = null;
    this.status = "unregistered";
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setStatus(state, reason = "") {
    this.status = state;
    this.emit("status", { state, reason });
  }

  start() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new JsSIP.WebSocketInterface(`${scheme}://${location.host}${this.details.socket}`);
    this.ua = new JsSIP.UA({
      sockets: [socket],
      uri: this.details.uri,
      password: this.details.password,
      display_name: this.details.display_name,
      register: true,
      register_expires: 120,
      session_timers: false,
      user_agent: "ccengine-desk",
      connection_recovery_min_interval: 1,
      connection_recovery_max_interval: 8,
    });
    this.setStatus("connecting");
    this.ua.on("registered", () => this.setStatus("registered"));
    this.ua.on("unregistered", () => this.setStatus("unregistered"));
    this.ua.on("disconnected", () => this.status !== "unregistered" && this.setStatus("connecting"));
    this.ua.on("registrationFailed", (e) => this.setStatus("failed", e.cause || "failed"));
    this.ua.on("newRTCSession", (e) => this.onSession(e));
    this.ua.start();
  }

  stop() {
    if (this.call) this.hangup();
    if (this.ua) this.ua.stop();
    this.ua = null;
    this.setStatus("unregistered");
  }

  onSession({ session, originator, request }) {
    if (originator !== "remote") return;
    const interactionId = request.getHeader(INTERACTION_HEADER) || null;
    if (this.call && interactionId && this.call.interactionId === interactionId) {
      // the same call rings again: the engine gave up the old leg (our connection dropped
      // and came back) and its BYE may never reach us; the old session is stale
      const stale = this.call;
      this.call = null;
      try { stale.session.terminate(); } catch { /* already gone */ }
    }
    if (this.call) {  // one call at a time: the engine never offers two
      session.terminate({ status_code: 486 });
      return;
    }
    const call = {
      session,
      interactionId,
      from: session.remote_identity.display_name || session.remote_identity.uri.user,
      state: "ringing",
      muted: false,
      held: false,
      answeredAt: null,
    };
    this.call = call;
    const changed = (state, cause = "") => {
      call.state = state;
      this.emit("call", { call, state, cause });
    };
    if (this.details.candidates === "loopback") {
      session.on("sdp", (e) => {
        if (e.originator === "local") e.sdp = keepLoopbackCandidates(e.sdp);
      });
    }
    session.on("peerconnection", ({ peerconnection }) => {
      peerconnection.addEventListener("track", (ev) => {
        this.audio.srcObject = ev.streams[0] || new MediaStream([ev.track]);
      });
    });
    session.on("accepted", () => { call.answeredAt = Date.now() / 1000; changed("answered"); });
    session.on("hold", () => { call.held = true; changed("held"); });
    session.on("unhold", () => { call.held = false; changed("resumed"); });
    const over = (e) => {
      if (this.call === call) this.call = null;
      changed("ended", (e && e.cause) || "");
    };
    session.on("ended", over);
    session.on("failed", over);
    this.emit("incoming", { call });
  }

  answer() {
    if (!this.call || this.call.state !== "ringing") return;
    const audio = this.deviceId ? { deviceId: { exact: this.deviceId } } : true;
    this.call.session.answer({
      mediaConstraints: { audio, video: false },
      pcConfig: { iceServers: this.details.ice_servers || [] },
    });
  }

  decline() {
    if (this.call && this.call.state === "ringing") this.call.session.terminate({ status_code: 486 });
  }

  hangup() {
    if (this.call) this.call.session.terminate();
  }

  mute(on) {
    if (!this.call || this.call.state === "ringing") return;
    if (on) this.call.session.mute({ audio: true }); else this.call.session.unmute({ audio: true });
    this.call.muted = on;
    this.emit("call", { call: this.call, state: on ? "muted" : "unmuted" });
  }

  hold(on) {
    if (!this.call || this.call.state === "ringing") return;
    if (on) this.call.session.hold(); else this.call.session.unhold();
  }

  dtmf(tones) {
    if (this.call && this.call.state !== "ringing") {
      this.call.session.sendDTMF(tones, { transportType: "RFC2833", duration: 120 });
    }
  }
}
