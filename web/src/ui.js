// Shared pieces of the pages: data loading, errors, paging, confirmation,
// formatting, and the read-only switch.
import { html } from 'htm/preact';
import { createContext } from 'preact';
import { api } from './api.js';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';

// {canWrite, mode ('sk'|'pk'), name} of the signed-in token.
export const Session = createContext({ canWrite: false, mode: 'sk', name: '' });
export const useSession = () => useContext(Session);

// Load with fn() when deps change; reload() on demand.
export function useLoad(fn, deps) {
  const [st, setSt] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const reload = useCallback(() => {
    const n = ++seq.current;
    setSt((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => n === seq.current && setSt({ data, error: null, loading: false }),
      (error) => n === seq.current && setSt({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(reload, [reload]);
  return { ...st, reload };
}

// Reload every ms milliseconds while the component is shown (counts that
// change without an event: monitoring).
export function useRefresh(reload, ms) {
  useEffect(() => {
    const t = setInterval(reload, ms);
    return () => clearInterval(t);
  }, [reload, ms]);
}

// An API error as the API said it.
export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">${String(error)}</div>`;
}

export function Notice({ text }) {
  return text ? html`<div class="notice" role="status">${text}</div>` : null;
}

// Run an action, keeping its error and a success notice.
export function useAction() {
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (fn, ok) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const r = await fn();
      if (ok) setNotice(typeof ok === 'function' ? ok(r) : ok);
      return r;
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { error, notice, busy, run, setError, setNotice };
}

// ---- confirmation -------------------------------------------------------

let showConfirm = null;

// Ask before a destructive action: resolves true when confirmed. sends says
// what goes to devices ("Sends RemoveTopic to 3 members...").
export function confirmAction({ title, sends, confirm = 'Confirm' }) {
  return new Promise((resolve) => showConfirm({ title, sends, confirm, resolve }));
}

export function ConfirmHost() {
  const [req, setReq] = useState(null);
  const ref = useRef(null);
  const back = useRef(null);
  showConfirm = (r) => {
    back.current = document.activeElement;
    setReq(r);
  };
  useEffect(() => {
    if (req && ref.current && !ref.current.open) ref.current.showModal();
  }, [req]);
  const close = (answer) => {
    if (ref.current && ref.current.open) ref.current.close();
    const r = req;
    setReq(null);
    if (back.current && back.current.focus) back.current.focus();
    if (r) r.resolve(answer);
  };
  return html`<dialog ref=${ref} aria-labelledby="confirm-title" aria-describedby="confirm-sends"
      onCancel=${(e) => { e.preventDefault(); close(false); }}>
    ${req && html`
      <h2 id="confirm-title">${req.title}</h2>
      <p id="confirm-sends" class="sends">${req.sends}</p>
      <div class="buttons">
        <button type="button" class="secondary" autofocus onClick=${() => close(false)}>Cancel</button>
        <button type="button" class="danger" onClick=${() => close(true)}>${req.confirm}</button>
      </div>`}
  </dialog>`;
}

// ---- paging ---------------------------------------------------------------

export function Pager({ offset, limit, total, onOffset, what = 'items' }) {
  if (!total) return html`<p class="muted">No ${what}.</p>`;
  const last = Math.min(offset + limit, total);
  return html`<div class="pager" role="navigation" aria-label=${`pages of ${what}`}>
    <button type="button" class="secondary" disabled=${offset === 0}
      onClick=${() => onOffset(Math.max(0, offset - limit))}>Previous</button>
    <span aria-live="polite">${fmtNum(offset + 1)}–${fmtNum(last)} of ${fmtNum(total)} ${what}</span>
    <button type="button" class="secondary" disabled=${last >= total}
      onClick=${() => onOffset(offset + limit)}>Next</button>
  </div>`;
}

// ---- formatting -----------------------------------------------------------

export const fmtNum = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));

// Times are unix seconds (or RFC 3339 strings); null when unset.
export function toDate(v) {
  if (v === null || v === undefined || v === 0) return null;
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
  return isNaN(d.getTime()) ? null : d;
}

export function fmtTime(v) {
  const d = toDate(v);
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

const UNITS = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];

export function fmtDuration(s) {
  if (s === null || s === undefined) return '—';
  for (const [u, n] of UNITS) if (s >= n && s % n === 0) return `${s / n}${u}`;
  return `${s}s`;
}

// "90s", "15m", "24h", "7d" or plain seconds; "" is null (unset).
export function parseDuration(text, field) {
  const t = String(text || '').trim();
  if (!t) return null;
  const m = /^(\d+)\s*([smhd]?)$/.exec(t);
  if (!m) throw new Error(`${field}: use a number of seconds or 90s, 15m, 24h, 7d`);
  const unit = UNITS.find(([u]) => u === (m[2] || 's'));
  return Number(m[1]) * unit[1];
}

export const Badge = ({ v }) => html`<span class=${`badge ${v}`}>${v}</span>`;

export function Facts({ rows }) {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

export const plural = (n, one, many = `${one}s`) => `${fmtNum(n)} ${n === 1 ? one : many}`;

// Hash routes: #/topics/NAME -> ['topics', 'NAME'].
export function useRoute() {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'overview').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const link = (...parts) => `#/${parts.map(encodeURIComponent).join('/')}`;

// A page's heading: focused when the page changes (keyboard and screen
// reader users land on the new content).
export const Title = ({ children }) => html`<h2 tabindex="-1">${children}</h2>`;

// A searchable, paged listing: the search box's text (debounced), the
// offset, and the page the API answers for them (only that page is loaded).
export function useSearchPage(path, limit) {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    if (typed.trim() === search) return undefined;   // back to the first page only for a new search
    const t = setTimeout(() => { setSearch(typed.trim()); setOffset(0); }, 250);
    return () => clearTimeout(t);
  }, [typed, search]);
  const page = useLoad(() => api.get(path, { offset, limit, search }), [path, offset, search]);
  return { page, typed, setTyped, offset, setOffset };
}
