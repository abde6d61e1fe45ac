// Getting the agent's attention for a new offer: a short sound (allowed once the agent has
// signed in: browsers play sound only after a user gesture), a desktop notification when
// the tab is not in front, and a count in the tab's title.

let audio = null;

function tone() {
  // a short two-note chime, made here (no sound file to fetch)
  const ctx = audio;
  const t = ctx.currentTime;
  for (const [freq, start] of [[880, 0], [1320, 0.18]]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t + start);
    gain.gain.exponentialRampToValueAtTime(0.3, t + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + start + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t + start);
    osc.stop(t + start + 0.2);
  }
}

/** Call from a user gesture (signing in): later sounds may play without one. */
export function unlockSound() {
  try {
    audio = audio || new AudioContext();
    audio.resume();
  } catch {
    audio = null;  // no sound on this browser
  }
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
}

/** After a reload nobody signs in: the first click or key on the page unlocks the sound. */
export function unlockOnFirstGesture() {
  const once = () => {
    unlockSound();
    document.removeEventListener("pointerdown", once, true);
    document.removeEventListener("keydown", once, true);
  };
  document.addEventListener("pointerdown", once, true);
  document.addEventListener("keydown", once, true);
}

/** Chime, notify (when the page is hidden) and mark the offer; returns what was done. */
export function alertOffer(title, body) {
  const done = { sound: false, notification: false };
  if (audio) {
    try { audio.resume(); tone(); done.sound = audio.state === "running"; } catch { /* muted */ }
  }
  if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
    try { new Notification(title, { body, tag: "ccengine-offer" }); done.notification = true; }
    catch { /* some browsers allow notifications from service workers only */ }
  }
  // what the last offer did, on the page for whoever checks (a test, a curious admin)
  document.documentElement.dataset.offerAlert = done.sound ? "sound" : "silent";
  return done;
}

/** "(2) ccengine desk" while two offers wait, the plain title otherwise. */
export function titleBadge(count, base = "ccengine desk") {
  const title = count > 0 ? `(${count}) ${base}` : base;
  if (document.title !== title) document.title = title;
}
