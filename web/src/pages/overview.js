// Overview: counts, outbox, sync status, charts of the last hours, live events.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { LineChart } from '../chart.js';
import { ErrorBox, Title, fmtDuration, fmtNum, fmtTime, link, useLoad } from '../ui.js';

const Stat = ({ k, v, id }) => html`<div class="stat" id=${id}><div class="v">${v}</div><div class="k">${k}</div></div>`;

function History() {
  const [hours, setHours] = useState(24);
  const h = useLoad(() => api.get('/v1/stats/history', { hours }), [hours]);
  const items = (h.data && h.data.items) || [];
  const at = items.map((i) => i.at);
  return html`<section class="card" aria-labelledby="history-title">
    <div class="row"><h3 id="history-title">The last hours</h3>
      <label>Period
        <select value=${hours} onChange=${(e) => setHours(Number(e.target.value))}>
          ${[6, 24, 72, 168].map((n) => html`<option value=${n}>${n} hours</option>`)}
        </select></label></div>
    <${ErrorBox} error=${h.error} />
    ${h.data && html`<div class="charts">
      <${LineChart} title="Commands per hour" at=${at} series=${[
        { name: 'queued', values: items.map((i) => i.commands_queued) },
        { name: 'sent', values: items.map((i) => i.commands_sent) },
      ]} />
      <${LineChart} title="Topic rotations per hour" at=${at} series=${[
        { name: 'rotations', values: items.map((i) => i.rotations) },
      ]} />
    </div>`}
  </section>`;
}

// What an event is about, in a few words.
export function describe(ev) {
  const d = ev.data || {};
  if (ev.type === 'commands.sent' && Array.isArray(d.commands))
    return d.commands.slice(0, 8).map((c) => `${c.command} → ${c.client}`).join(', ') +
      (d.commands.length > 8 ? ` … (${d.count} in all)` : '');
  const parts = [];
  const show = (v) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const k of ['topic', 'topic_hash', 'id', 'client', 'name', 'version', 'count', 'clients', 'kind', 'target',
    'publisher', 'error', 'differences', 'unsent', 'stragglers'])
    if (d[k] !== undefined && d[k] !== null) parts.push(`${k}: ${show(d[k])}`);
  return parts.join(' · ');
}

export function LiveEvents({ stream }) {
  const [st, setSt] = useState({ events: [], state: 'closed' });
  useEffect(() => stream.subscribe(setSt), [stream]);
  return html`<section class="card" aria-labelledby="events-title">
    <h3 id="events-title">Live events <span class="badge" id="stream-state">${st.state}</span></h3>
    ${st.events.length === 0 ? html`<p class="muted">No event since the page opened.</p>` : null}
    <ol class="events" id="events" aria-live="polite" aria-relevant="additions">
      ${st.events.map((ev) => html`<li key=${ev.id} data-type=${ev.type}>
        <span class="muted">${fmtTime(ev.at)}</span> <span class="type">${ev.type}</span>
        <span class="mono">${describe(ev)}</span></li>`)}
    </ol>
  </section>`;
}

export function Overview({ stream }) {
  const s = useLoad(() => api.get('/v1/status'), []);
  const timer = useRef(null);
  // Fresh counts when something happens (at most every second).
  useEffect(() => stream.subscribe(() => {
    if (!timer.current) timer.current = setTimeout(() => { timer.current = null; s.reload(); }, 1000);
  }), [stream]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const st = s.data;
  return html`<${Title}>Overview<//>
    <${ErrorBox} error=${s.error} />
    ${st && html`
      <div class="cards">
        <${Stat} k="clients" v=${html`<a href=${link('clients')}>${fmtNum(st.clients)}</a>`} id="stat-clients" />
        <${Stat} k="topics" v=${html`<a href=${link('topics')}>${fmtNum(st.topics)}</a>`} id="stat-topics" />
        <${Stat} k="memberships" v=${fmtNum(st.memberships)} />
        <${Stat} k="outbox: commands waiting" v=${fmtNum(st.outbox.pending)} id="stat-outbox" />
        <${Stat} k="outbox: oldest waits" v=${st.outbox.pending ? fmtDuration(st.outbox.oldest_age) : '—'} />
        <${Stat} k="commands sent" v=${fmtNum(st.commands_sent)} />
      </div>
      <section class="card" aria-labelledby="sync-title">
        <h3 id="sync-title">Clients per sync status</h3>
        <table><thead><tr><th>status</th><th class="num">clients</th></tr></thead><tbody>
          ${Object.entries(st.sync || {}).map(([k, v]) => html`<tr><td>${k}</td><td class="num">${fmtNum(v)}</td></tr>`)}
        </tbody></table>
        ${st.c2_key && html`<p>C2 key generation ${st.c2_key.generation}${st.c2_key.rotating
          ? html` — <a href=${link('c2key')}>rotating, ${fmtNum(st.c2_key.unconfirmed)} unconfirmed</a>` : ''}</p>`}
      </section>`}
    <${History} />
    <${LiveEvents} stream=${stream} />`;
}
