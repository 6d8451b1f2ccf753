// A topic's or a client's rotation policy (GET/PUT/DELETE
// /v1/{topics|clients}/NAME/policy): the form and its status.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorBox, Facts, Notice, confirmAction, fmtDuration, fmtTime, parseDuration, useAction, useLoad, useSession } from '../ui.js';

const path = (kind, target) => `/v1/${kind === 'topic' ? 'topics' : 'clients'}/${seg(target)}/policy`;
// GET answers the defaults when no policy is set.
const isDefault = (p) => !p || (p.rotate_every == null && p.max_age == null && p.rekey_every == null &&
  !p.on_join && p.on_leave !== false);
const asText = (s) => (s === null || s === undefined ? '' : fmtDuration(s));

function formOf(p) {
  return {
    rotate_every: asText(p && p.rotate_every), max_age: asText(p && p.max_age),
    on_join: !!(p && p.on_join), on_leave: p ? p.on_leave !== false : true,
    rekey_every: asText(p && p.rekey_every),
  };
}

export function PolicyStatus({ p }) {
  const settings = 'rekey_every' in p && !('on_leave' in p)
    ? [['rekey every', fmtDuration(p.rekey_every)]]
    : [['rotate every', fmtDuration(p.rotate_every)], ['max key age', fmtDuration(p.max_age)],
       ['rotate on join', p.on_join ? 'yes' : 'no'], ['rotate on leave', p.on_leave === false ? 'no' : 'yes']];
  return html`<${Facts} rows=${[...settings,
    ['next due', fmtTime(p.next_due)], ['last run', fmtTime(p.last_run)],
    ['failures', p.failures ?? 0],
    ['last error', p.last_error ? html`<span class="warn">${p.last_error}</span>` : '—'],
  ]} />`;
}

// The policy of one topic or client; 404 means none (the defaults apply).
export function PolicyEditor({ kind, target, onChange }) {
  const { canWrite } = useSession();
  const cur = useLoad(() => api.get(path(kind, target)).catch((e) => {
    if (e.status === 404 && e.code !== 'wrong_mode') return null;
    throw e;
  }), [kind, target]);
  const [f, setF] = useState(formOf(null));
  const a = useAction();
  useEffect(() => setF(formOf(cur.data)), [cur.data]);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  const id = (k) => `policy-${k}`;
  const save = async (e) => {
    e.preventDefault();
    const r = await a.run(() => {
      const body = kind === 'topic'
        ? { rotate_every: parseDuration(f.rotate_every, 'rotate every'), max_age: parseDuration(f.max_age, 'max age'),
            on_join: f.on_join, on_leave: f.on_leave }
        : { rekey_every: parseDuration(f.rekey_every, 'rekey every') };
      return api.put(path(kind, target), body);
    }, 'Policy saved.');
    if (r) { cur.reload(); onChange && onChange(); }
  };
  const clear = async () => {
    const ok = await confirmAction({
      title: `Clear the policy of ${kind} ${target}?`,
      sends: kind === 'topic'
        ? 'Sends nothing now. The defaults apply again: no timed rotation, rotate on every leave, not on join.'
        : 'Sends nothing now. The client is no longer rekeyed on a schedule.',
      confirm: 'Clear policy',
    });
    if (ok && (await a.run(() => api.del(path(kind, target)), 'Policy cleared.')) !== undefined) {
      cur.reload(); onChange && onChange();
    }
  };
  return html`<div class="policy">
    <${ErrorBox} error=${cur.error} />
    ${isDefault(cur.data) && !cur.loading && !cur.error && html`<p class="muted" id="policy-none">No policy: the defaults apply${' '}
      ${kind === 'topic' ? '(rotate on every leave, not on join, no timed rotation)' : '(no timed rekey)'}.</p>`}
    ${!isDefault(cur.data) && html`<${PolicyStatus} p=${cur.data} />`}
    ${canWrite && cur.data && html`<form class="inline" onSubmit=${save} aria-label=${`policy of ${kind} ${target}`}>
      ${kind === 'topic' ? html`
        <label>Rotate every <input id=${id('rotate-every')} placeholder="e.g. 24h" size="8"
          value=${f.rotate_every} onInput=${set('rotate_every')} /></label>
        <label>Max key age <input id=${id('max-age')} placeholder="e.g. 7d" size="8"
          value=${f.max_age} onInput=${set('max_age')} /></label>
        <label class="check"><input id=${id('on-join')} type="checkbox" checked=${f.on_join}
          onChange=${set('on_join')} /> rotate on join</label>
        <label class="check"><input id=${id('on-leave')} type="checkbox" checked=${f.on_leave}
          onChange=${set('on_leave')} /> rotate on leave</label>` : html`
        <label>Rekey every <input id=${id('rekey-every')} placeholder="e.g. 30d" size="8"
          value=${f.rekey_every} onInput=${set('rekey_every')} /></label>`}
      <button type="submit" disabled=${a.busy}>Save policy</button>
      ${!isDefault(cur.data) && html`<button type="button" class="secondary" onClick=${clear}>Clear policy</button>`}
    </form>`}
    <${ErrorBox} error=${a.error} />
    <${Notice} text=${a.notice} />
  </div>`;
}
