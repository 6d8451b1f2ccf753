// Policies: every rotation and rekey policy with its next due time; set one.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Pager, Title, fmtDuration, fmtTime, link, useLoad, useSession } from '../ui.js';
import { PolicyEditor } from './policy.js';

const LIMIT = 50;

export function Policies() {
  const { canWrite } = useSession();
  const [offset, setOffset] = useState(0);
  const [gen, setGen] = useState(0);
  const [kind, setKind] = useState('topic');
  const [target, setTarget] = useState('');
  const [editing, setEditing] = useState(null);
  const l = useLoad(() => api.get('/v1/policies', { offset, limit: LIMIT }), [offset, gen]);
  const d = l.data;
  return html`<${Title}>Policies<//>
    ${canWrite && html`<section class="card" aria-labelledby="set-policy-title"><h3 id="set-policy-title">Set a policy</h3>
      <form class="inline" onSubmit=${(e) => { e.preventDefault(); setEditing({ kind, target: target.trim() }); }}>
        <label>For a <select id="policy-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
          <option value="topic">topic</option><option value="client">client</option></select></label>
        <label>Name <input id="policy-target" required value=${target} onInput=${(e) => setTarget(e.target.value)} /></label>
        <button type="submit" class="secondary">Edit</button></form>
      ${editing && html`<${PolicyEditor} key=${`${editing.kind}:${editing.target}`} kind=${editing.kind}
        target=${editing.target} onChange=${() => setGen(gen + 1)} />`}
    </section>`}
    <section class="card">
      <${ErrorBox} error=${l.error} />
      ${d && html`<${Pager} offset=${offset} limit=${LIMIT} total=${d.total} onOffset=${setOffset} what="policies" />
        ${d.items.length > 0 && html`<table id="policies-table"><thead><tr><th>kind</th><th>target</th><th>rotate every</th>
          <th>max age</th><th>on join</th><th>on leave</th><th>rekey every</th><th>next due</th><th>last run</th>
          <th class="num">failures</th><th>last error</th></tr></thead>
        <tbody>${d.items.map((p) => html`<tr><td>${p.kind}</td>
          <td><a href=${link(p.kind === 'topic' ? 'topics' : 'clients', p.target)}>${p.target}</a></td>
          <td>${fmtDuration(p.rotate_every)}</td><td>${fmtDuration(p.max_age)}</td>
          <td>${p.kind === 'topic' ? (p.on_join ? 'rotate' : '—') : ''}</td>
          <td>${p.kind === 'topic' ? (p.on_leave ? 'rotate' : 'no rotation') : ''}</td>
          <td>${fmtDuration(p.rekey_every)}</td><td>${fmtTime(p.next_due)}</td><td>${fmtTime(p.last_run)}</td>
          <td class="num">${p.failures}</td><td class=${p.last_error ? 'warn' : ''}>${p.last_error || '—'}</td></tr>`)}
        </tbody></table>`}`}
    </section>`;
}
