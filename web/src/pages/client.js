// One client: facts, sync status, rekey / reset / remove, its topics, its
// commands and their state, its rekey policy.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { Badge, ErrorBox, Facts, Notice, Pager, Title, confirmAction, fmtNum, fmtTime, link, plural, useAction, useLoad, useSession } from '../ui.js';
import { PolicyEditor } from './policy.js';

const LIMIT = 20;

function Paged({ path, what, render, deps }) {
  const [offset, setOffset] = useState(0);
  const p = useLoad(() => api.get(path, { offset, limit: LIMIT }), [path, offset, ...deps]);
  return html`<${ErrorBox} error=${p.error} />
    ${p.data && html`<${Pager} offset=${offset} limit=${LIMIT} total=${p.data.total} onOffset=${setOffset} what=${what} />
      ${p.data.items.length ? render(p.data.items) : null}`}`;
}

export function ClientPage({ name }) {
  const { canWrite, mode } = useSession();
  const c = useLoad(() => api.get(`/v1/clients/${seg(name)}`), [name]);
  const a = useAction();
  const [gen, setGen] = useState(0);
  const base = `/v1/clients/${seg(name)}`;
  const cl = c.data;
  const act = async (what, sends, fn, ok) => {
    if (!(await confirmAction({ title: `${what} client ${name}?`, sends, confirm: what }))) return;
    const r = await a.run(fn, ok);
    if (r !== undefined) { setGen(gen + 1); c.reload(); }
    return r;
  };
  const rekey = () => act('Rekey', mode === 'pk'
    ? `Sends SetIdKey (a new key pair) to ${name}, under its old key, and SetPubKey with its new public key to every client that holds the old one.`
    : `Sends SetIdKey (a fresh key) to ${name}, protected with its current key.`,
    () => api.post(`${base}/rekey`), 'Rekeyed: SetIdKey queued.');
  const reset = () => act('Reset', `Sends ResetTopics to ${name}: it forgets all its ${plural(cl.topics, 'topic')} and leaves them (no rotation for the others).`,
    () => api.post(`${base}/reset`), 'Reset: ResetTopics queued.');
  const remove = async () => {
    const r = await act('Remove', `Sends ResetTopics${mode === 'pk' ? ' and ResetPubKeys' : ''} to ${name}, rotates its ${plural(cl.topics, 'topic')} (SetTopicKey to the remaining members), then deletes the client.`,
      () => api.del(base), null);
    if (r) location.hash = link('clients');
  };
  return html`<${Title}>Client ${name}<//>
    <p><a href=${link('clients')}>← all clients</a></p>
    <${ErrorBox} error=${c.error} />
    ${cl && html`<section class="card">
      <${Facts} rows=${[
        ['id', html`<code>${cl.id}</code>`], ['created', fmtTime(cl.created)],
        ...(mode === 'pk' ? [['public key', html`<code>${cl.pubkey}</code>`], ['C2 key generation', cl.c2_key_generation ?? '—']] : []),
        ['topics', fmtNum(cl.topics)], ['commands not yet sent', fmtNum(cl.pending)],
        ['sync status', html`<${Badge} v=${cl.sync} />`], ['last state report', fmtTime(cl.state_at)],
      ]} />
      ${canWrite && html`<div class="row" id="client-actions">
        <button type="button" onClick=${rekey}>Rekey</button>
        <button type="button" class="secondary" onClick=${reset}>Reset topics</button>
        <button type="button" class="danger" onClick=${remove}>Remove client</button>
        ${mode === 'pk' ? html`<a href=${link('pubkeys', name)}>public keys and links…</a>` : null}</div>`}
      <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
    </section>
    <section class="card"><h3>Topics</h3>
      <${Paged} path=${`${base}/topics`} what="topics" deps=${[gen]} render=${(items) => html`<table id="client-topics">
        <thead><tr><th>topic</th><th class="num">version</th><th class="num">members</th></tr></thead>
        <tbody>${items.map((t) => html`<tr><td><a href=${link('topics', t.name)}>${t.name}</a></td>
          <td class="num">${t.version}</td><td class="num">${fmtNum(t.members)}</td></tr>`)}</tbody></table>`} />
    </section>
    <section class="card"><h3>Commands, newest first</h3>
      <${Paged} path=${`${base}/commands`} what="commands" deps=${[gen]} render=${(items) => html`<table id="client-commands">
        <thead><tr><th class="num">seq</th><th>command</th><th>topic / subject</th><th>state</th><th class="num">attempts</th>
          <th>created</th><th>sent</th><th>done</th><th>error</th></tr></thead>
        <tbody>${items.map((k) => html`<tr><td class="num">${k.seq}</td><td>${k.command}</td>
          <td class="mono">${k.topic || k.subject || '—'}</td><td><${Badge} v=${k.state} />${k.repair ? ' (repair)' : ''}</td>
          <td class="num">${k.attempts}</td><td>${fmtTime(k.created)}</td><td>${fmtTime(k.sent_at)}</td>
          <td>${fmtTime(k.done_at)}</td><td>${k.refused || k.last_error || '—'}</td></tr>`)}</tbody></table>`} />
    </section>
    <section class="card"><h3>Rekey policy</h3><${PolicyEditor} kind="client" target=${name} /></section>`}`;
}
