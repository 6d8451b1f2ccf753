// Monitoring: every monitored topic with its counts and rate; turn it on.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorBox, Notice, Pager, Title, fmtNum, link, useAction, useLoad, useRefresh, useSession } from '../ui.js';
import { KINDS, REFRESH_MS, Traffic } from './traffic.js';

const LIMIT = 50;

export function Monitoring() {
  const { canWrite } = useSession();
  const [offset, setOffset] = useState(0);
  const [topic, setTopic] = useState('');
  const [shown, setShown] = useState(null);
  const a = useAction();
  const l = useLoad(() => api.get('/v1/monitoring', { offset, limit: LIMIT }), [offset]);
  useRefresh(l.reload, REFRESH_MS);
  const start = async (e) => {
    e.preventDefault();
    const t = topic.trim();
    if ((await a.run(() => api.put(`/v1/topics/${seg(t)}/monitor`, { enabled: true }), `Monitoring ${t}.`)) !== undefined) {
      setTopic('');
      l.reload();
    }
  };
  const d = l.data;
  return html`<${Title}>Monitoring<//>
    <p class="muted">e4c2 checks every message on a monitored topic with the keys it holds, keeping no payload.</p>
    ${canWrite && html`<section class="card"><form class="inline" onSubmit=${start}>
      <label>Monitor topic <input id="monitor-topic" required value=${topic} onInput=${(e) => setTopic(e.target.value)} /></label>
      <button type="submit" disabled=${a.busy}>Start monitoring</button></form>
      <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} /></section>`}
    <section class="card">
      <${ErrorBox} error=${l.error} />
      ${d && html`<${Pager} offset=${offset} limit=${LIMIT} total=${d.total} onOffset=${setOffset} what="monitored topics" />
        ${d.items.length > 0 && html`<table id="monitoring-table"><thead><tr><th>topic</th>
          ${KINDS.map((k) => html`<th class="num">${k.replace('_', ' ')}</th>`)}<th class="num">msgs/s</th><th>details</th></tr></thead>
        <tbody>${d.items.map((m) => html`<tr><td><a href=${link('topics', m.topic)}>${m.topic}</a></td>
          ${KINDS.map((k) => html`<td class="num" data-kind=${k}>${fmtNum((m.counts || {})[k] || 0)}</td>`)}
          <td class="num">${Number(m.rate || 0).toFixed(3)}</td>
          <td><button type="button" class="secondary" aria-label=${`traffic of ${m.topic}`}
            onClick=${() => setShown(m.topic)}>Traffic</button></td></tr>`)}</tbody></table>`}`}
    </section>
    ${shown && html`<section class="card"><h3>Traffic of ${shown}</h3><${Traffic} key=${shown} topic=${shown} /></section>`}`;
}
