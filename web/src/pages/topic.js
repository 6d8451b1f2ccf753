// One topic: key version, rotate, remove, members (join, leave, those not
// on the current key), its policy and its traffic.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, ErrorBox, Facts, Notice, Pager, Title, confirmAction, fmtNum, fmtTime, link, plural, useAction, useLoad, useSession } from '../ui.js';
import { PolicyEditor } from './policy.js';
import { Traffic } from './traffic.js';

const LIMIT = 50;
const names = (text) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

function Join({ topic, t, onDone }) {
  const { mode } = useSession();
  const [text, setText] = useState('');
  const [share, setShare] = useState(false);
  const a = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const clients = names(text);
    const body = { clients };
    if (mode === 'pk') body.share_pubkeys = share;
    const r = await a.run(() => api.post(`/v1/topics/${seg(topic)}/members`, body),
      (r) => `${plural(clients.length, 'client')} joined: SetTopicKey queued (now ${plural(r.members, 'member')}).`);
    if (r) { setText(''); onDone(); }
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="join clients">
    <label>Clients to join (names or ids, separated by spaces or commas)
      <input id="join-clients" required size="40" value=${text} onInput=${(e) => setText(e.target.value)} /></label>
    ${mode === 'pk' && html`<label class="check"><input type="checkbox" id="join-share" checked=${share}
      onChange=${(e) => setShare(e.target.checked)} /> share public keys</label>`}
    <button type="submit" disabled=${a.busy}>Join</button>
    <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
  </form>`;
}

function Members({ topic, t, gen, onChange, rotateOnLeave }) {
  const { canWrite } = useSession();
  const [offset, setOffset] = useState(0);
  const [behind, setBehind] = useState(false);
  const a = useAction();
  const m = useLoad(() => api.get(`/v1/topics/${seg(topic)}/members`, { offset, limit: LIMIT, behind: behind ? 'true' : '' }),
    [topic, offset, behind, gen]);
  const leave = async (c) => {
    const others = Math.max(0, t.members - 1);
    const ok = await confirmAction({
      title: `Remove ${c.name} from ${topic}?`,
      sends: `Sends RemoveTopic to ${c.name}` + (rotateOnLeave
        ? ` and SetTopicKey (a new key, version ${t.version + 1}) to the ${plural(others, 'remaining member')}.`
        : ' only: the topic policy says not to rotate on leave.'),
      confirm: 'Remove member',
    });
    if (ok && (await a.run(() => api.post(`/v1/topics/${seg(topic)}/members/leave`, { clients: [c.name], rotate: rotateOnLeave }),
      `${c.name} left ${topic}.`)) !== undefined) onChange();
  };
  return html`
    <label class="check"><input type="checkbox" id="members-behind" checked=${behind}
      onChange=${(e) => { setBehind(e.target.checked); setOffset(0); }} /> only members not yet on the current key (version ${t.version})</label>
    <${ErrorBox} error=${m.error} /><${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
    ${m.data && html`<${Pager} offset=${offset} limit=${LIMIT} total=${m.data.total} onOffset=${setOffset} what="members" />
      ${m.data.items.length > 0 && html`<table id="members-table"><thead><tr><th>client</th><th>id</th><th>sync</th>
        <th class="num">pending</th>${canWrite ? html`<th>action</th>` : null}</tr></thead>
      <tbody>${m.data.items.map((c) => html`<tr><td><a href=${link('clients', c.name)}>${c.name}</a></td>
        <td class="mono">${c.id}</td><td><${Badge} v=${c.sync} /></td><td class="num">${fmtNum(c.pending)}</td>
        ${canWrite ? html`<td><button type="button" class="secondary" aria-label=${`remove ${c.name} from ${topic}`}
          onClick=${() => leave(c)}>Leave</button></td>` : null}</tr>`)}</tbody></table>`}`}`;
}

export function TopicPage({ name }) {
  const { canWrite } = useSession();
  const t = useLoad(() => api.get(`/v1/topics/${seg(name)}`), [name]);
  const pol = useLoad(() => api.get(`/v1/topics/${seg(name)}/policy`).catch(() => null), [name]);
  const [gen, setGen] = useState(0);
  const a = useAction();
  const refresh = () => { setGen((g) => g + 1); t.reload(); };
  const d = t.data;
  const rotate = async () => {
    if (!(await confirmAction({
      title: `Rotate the key of ${name}?`,
      sends: `Sends SetTopicKey (version ${d.version + 1}) to ${plural(d.members, 'member')}.`,
      confirm: 'Rotate key',
    }))) return;
    if ((await a.run(() => api.post(`/v1/topics/${seg(name)}/rotate`), (r) => `Rotated: version ${r.version}.`)) !== undefined) refresh();
  };
  const remove = async () => {
    if (!(await confirmAction({
      title: `Remove topic ${name}?`,
      sends: `Sends RemoveTopic to ${plural(d.members, 'member')}, then forgets the topic and its key.`,
      confirm: 'Remove topic',
    }))) return;
    if ((await a.run(() => api.del(`/v1/topics/${seg(name)}`))) !== undefined) location.hash = link('topics');
  };
  const rotateOnLeave = !(pol.data && pol.data.on_leave === false);
  return html`<${Title}>Topic ${name}<//>
    <p><a href=${link('topics')}>← all topics</a></p>
    <${ErrorBox} error=${t.error} />
    ${d && html`<section class="card">
      <${Facts} rows=${[
        ['key version', html`<span id="topic-version">${d.version}</span>`], ['key id', html`<code>${d.key_id}</code>`],
        ['hash', html`<code>${d.hash}</code>`], ['created', fmtTime(d.created)], ['rotated', fmtTime(d.rotated_at)],
        ['members', html`<span id="topic-members">${fmtNum(d.members)}</span>`],
        ['members not on the current key', fmtNum(d.not_current)], ['members with commands not sent', fmtNum(d.behind)],
      ]} />
      ${canWrite && html`<div class="row" id="topic-actions">
        <button type="button" onClick=${rotate}>Rotate key</button>
        <button type="button" class="danger" onClick=${remove}>Remove topic</button></div>`}
      <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
    </section>
    <section class="card"><h3>Members</h3>
      ${canWrite && html`<${Join} topic=${name} t=${d} onDone=${refresh} />`}
      <${Members} topic=${name} t=${d} gen=${gen} onChange=${refresh} rotateOnLeave=${rotateOnLeave} />
    </section>
    <section class="card"><h3>Rotation policy</h3><${PolicyEditor} kind="topic" target=${name} onChange=${pol.reload} /></section>
    <section class="card"><h3>Traffic</h3><${Traffic} topic=${name} /></section>`}`;
}
