// The live event stream, GET /v1/events as server-sent events. EventSource
// cannot send an Authorization header, so the stream is read with fetch()
// and parsed here; on a drop it reconnects with Last-Event-ID, so no event
// is missed or repeated.
import { token } from './api.js';

const MAX_KEPT = 200;

// One SSE record per blank line: "id: N", "event: T", "data: JSON",
// ": comment". Calls onRecord for each whole record in buffer; returns the
// unfinished rest (to be prefixed to the next chunk).
export function parseSSE(buffer, onRecord) {
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  for (const block of blocks) {
    const rec = { id: null, event: null, data: '' };
    let any = false;
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      any = true;
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'data') rec.data += (rec.data ? '\n' : '') + value;
      else if (field === 'id') rec.id = value;
      else if (field === 'event') rec.event = value;
    }
    if (any) onRecord(rec);
  }
  return rest;
}

export function createEventStream() {
  const listeners = new Set();
  let events = [];
  let lastId = null;
  let abort = null;
  let state = 'closed';
  let stopped = true;
  let generation = 0;   // a stop and a start make a new loop; the old one ends

  const emit = () => listeners.forEach((fn) => fn({ events, state }));
  const setState = (s) => {
    state = s;
    emit();
  };

  function deliver(rec) {
    if (!rec.data) return;
    let ev;
    try {
      ev = JSON.parse(rec.data);
    } catch {
      return;
    }
    if (rec.id) lastId = rec.id;
    events = [ev, ...events].slice(0, MAX_KEPT);
    emit();
  }

  async function readOnce() {
    abort = new AbortController();
    const headers = { Authorization: `Bearer ${token.get() || ''}`, Accept: 'text/event-stream' };
    if (lastId) headers['Last-Event-ID'] = lastId;
    const res = await fetch('/v1/events', { headers, signal: abort.signal, cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      stopped = true;   // the token is gone: api.js's next call signs out
      return;
    }
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    setState('open');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseSSE(buffer + decoder.decode(value, { stream: true }), deliver);
    }
  }

  async function loop(gen) {
    let delay = 500;
    const live = () => !stopped && gen === generation;
    while (live()) {
      try {
        await readOnce();
        delay = 500;
      } catch {
        if (!live()) break;
      }
      if (!live()) break;
      setState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
    if (gen === generation) setState('closed');
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      setState('connecting');
      loop(++generation);
    },
    stop() {
      stopped = true;
      if (abort) abort.abort();
      events = [];
      lastId = null;
    },
    subscribe(fn) {
      listeners.add(fn);
      fn({ events, state });
      return () => listeners.delete(fn);
    },
  };
}
