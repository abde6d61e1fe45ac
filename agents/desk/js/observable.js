// One page's state and who renders it: `update(change)` changes the state, then every
// listener runs once (changes made together render together). The desk and the wallboard
// each make one.

export function makeStore(state) {
  const listeners = new Set();
  let scheduled = false;

  function subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  function update(change) {
    if (change) change(state);
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      for (const listener of [...listeners]) {
        try { listener(state); } catch (e) { console.error(e); }
      }
    });
  }

  return { state, subscribe, update };
}
