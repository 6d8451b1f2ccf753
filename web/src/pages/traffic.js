// A monitored topic's traffic (GET /v1/topics/NAME/traffic): counts per
// result, rate, clock skew, the last offender and the last hour's history;
// monitoring on or off (PUT /v1/topics/NAME/monitor).
import { html } from 'htm/preact';
import { api, seg } from '../api.js';
import { BarChart, LineChart } from '../chart.js';
import { ErrorBox, Facts, Notice, confirmAction, fmtNum, fmtTime, useAction, useLoad, useRefresh, useSession } from '../ui.js';

export const REFRESH_MS = 5000; // counts reach the API at least every flush interval
export const KINDS = ['valid', 'unprotected', 'not_authentic', 'replayed', 'too_old', 'in_future', 'unknown_signer'];
const SHORT = { valid: 'valid', unprotected: 'clear', not_authentic: 'forged', replayed: 'replay',
  too_old: 'old', in_future: 'future', unknown_signer: 'signer?' };

export function Traffic({ topic }) {
  const { canWrite } = useSession();
  const t = useLoad(() => api.get(`/v1/topics/${seg(topic)}/traffic`), [topic]);
  useRefresh(t.reload, REFRESH_MS);
  const a = useAction();
  const d = t.data;
  const toggle = async () => {
    const on = !(d && d.enabled);
    if (!on && !(await confirmAction({
      title: `Stop monitoring ${topic}?`,
      sends: 'Sends nothing to devices. e4c2 unsubscribes from the topic; counts stop.',
      confirm: 'Stop monitoring',
    }))) return;
    if ((await a.run(() => api.put(`/v1/topics/${seg(topic)}/monitor`, { enabled: on }),
      on ? 'Monitoring on.' : 'Monitoring off.')) !== undefined) t.reload();
  };
  const hist = (d && d.history) || [];
  const buckets = (d && d.skew && d.skew.buckets) || [];
  return html`<div class="traffic">
    <${ErrorBox} error=${t.error} />
    ${d && html`
      <div class="row"><span id="monitor-state">Monitoring is <strong>${d.enabled ? 'on' : 'off'}</strong>
        ${d.since ? html` since ${fmtTime(d.since)}` : ''}.</span>
        ${canWrite && html`<button type="button" id="monitor-toggle" class=${d.enabled ? 'secondary' : ''} onClick=${toggle}
          disabled=${a.busy}>${d.enabled ? 'Stop monitoring' : 'Start monitoring'}</button>`}
        <button type="button" class="secondary" onClick=${t.reload}>Refresh</button></div>
      <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
      <table id="traffic-counts"><thead><tr>${KINDS.map((k) => html`<th class="num">${k.replace('_', ' ')}</th>`)}
        <th class="num">msgs/s (last minute)</th></tr></thead>
        <tbody><tr>${KINDS.map((k) => html`<td class="num" data-kind=${k}>${fmtNum((d.counts || {})[k] || 0)}</td>`)}
          <td class="num">${Number(d.rate || 0).toFixed(3)}</td></tr></tbody></table>
      <${Facts} rows=${[['last offender', d.last_offender
        ? `${d.last_offender.kind} at ${fmtTime(d.last_offender.at)}${d.last_offender.publisher ? ` from ${d.last_offender.publisher}` : ' (the broker does not tell the publisher)'}`
        : '—']]} />
      <div class="charts">
        <${BarChart} title="Messages by result since monitoring began"
          bars=${KINDS.map((k) => ({ label: SHORT[k], value: (d.counts || {})[k] || 0 }))} />
        <${LineChart} title="Messages per minute (last hour)" at=${hist.map((h) => h.at)} series=${[
          { name: 'valid', values: hist.map((h) => h.valid) },
          { name: 'anomalies', values: hist.map((h) => h.anomalies) },
        ]} />
        <${BarChart} title="Clock skew (seconds, messages per bucket)"
          bars=${buckets.map((b, i) => ({ label: b.le === null ? `>${i ? buckets[i - 1].le : 0}` : `≤${b.le}`, value: b.count }))} />
      </div>`}
  </div>`;
}
