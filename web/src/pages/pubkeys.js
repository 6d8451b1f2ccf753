// PK mode: the public keys a client holds (SetPubKey / RemovePubKey /
// ResetPubKeys) and its links (a recorded pair: C2 keeps it up to date).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { ErrorBox, Notice, Pager, Title, confirmAction, link, useAction, useLoad, useSession } from '../ui.js';

const LIMIT = 50;

function KeyList({ client, kind, gen, onChange }) {
  const { canWrite } = useSession();
  const [offset, setOffset] = useState(0);
  const [source, setSource] = useState('');
  const a = useAction();
  const base = `/v1/clients/${seg(client)}/${kind}`;
  const l = useLoad(() => api.get(base, { offset, limit: LIMIT }), [base, offset, gen]);
  const add = async (e) => {
    e.preventDefault();
    if ((await a.run(() => api.post(base, { source }), kind === 'links'
      ? `Linked: SetPubKey(${source}) queued to ${client}.` : `SetPubKey(${source}) queued to ${client}.`)) !== undefined) {
      setSource('');
      onChange();
    }
  };
  const drop = async (c) => {
    if (!(await confirmAction({
      title: kind === 'links' ? `Unlink ${c.name} from ${client}?` : `Remove ${c.name}'s public key from ${client}?`,
      sends: `Sends RemovePubKey(${c.name}) to ${client}: it can no longer check ${c.name}'s signatures.`,
      confirm: kind === 'links' ? 'Unlink' : 'Remove key',
    }))) return;
    if ((await a.run(() => api.del(`${base}/${seg(c.name)}`), 'RemovePubKey queued.')) !== undefined) onChange();
  };
  return html`${canWrite && html`<form class="inline" onSubmit=${add}>
      <label>${kind === 'links' ? 'Link to client' : 'Send the public key of'}
        <input id=${`${kind}-source`} required value=${source} onInput=${(e) => setSource(e.target.value)} /></label>
      <button type="submit" disabled=${a.busy}>${kind === 'links' ? 'Link' : 'Send public key'}</button></form>`}
    <${ErrorBox} error=${l.error} /><${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
    ${l.data && html`<${Pager} offset=${offset} limit=${LIMIT} total=${l.data.total} onOffset=${setOffset} what=${kind === 'links' ? 'links' : 'public keys'} />
      ${l.data.items.length > 0 && html`<table><thead><tr><th>client</th><th>id</th>${canWrite ? html`<th>action</th>` : null}</tr></thead>
      <tbody>${l.data.items.map((c) => html`<tr><td><a href=${link('clients', c.name)}>${c.name}</a></td><td class="mono">${c.id}</td>
        ${canWrite ? html`<td><button type="button" class="secondary" onClick=${() => drop(c)}>${kind === 'links' ? 'Unlink' : 'Remove'}</button></td>` : null}
      </tr>`)}</tbody></table>`}`}`;
}

export function PublicKeys({ client }) {
  const { canWrite, mode } = useSession();
  const [typed, setTyped] = useState(client || '');
  const [gen, setGen] = useState(0);
  const a = useAction();
  if (mode !== 'pk') return html`<${Title}>Public keys<//><p>Public keys and links exist in PK mode only.</p>`;
  const reset = async () => {
    if (!(await confirmAction({
      title: `Remove every public key ${client} holds?`,
      sends: `Sends ResetPubKeys to ${client}: it forgets every other client's public key.`,
      confirm: 'Reset public keys',
    }))) return;
    if ((await a.run(() => api.del(`/v1/clients/${seg(client)}/pubkeys`), 'ResetPubKeys queued.')) !== undefined) setGen(gen + 1);
  };
  return html`<${Title}>Public keys and links<//>
    <form class="inline" onSubmit=${(e) => { e.preventDefault(); location.hash = link('pubkeys', typed.trim()); }}>
      <label>Client <input id="pk-client" required value=${typed} onInput=${(e) => setTyped(e.target.value)} /></label>
      <button type="submit">Show</button></form>
    ${client && html`
      <section class="card"><h3>Public keys ${client} holds</h3>
        <${KeyList} client=${client} kind="pubkeys" gen=${gen} onChange=${() => setGen(gen + 1)} />
        ${canWrite && html`<p><button type="button" class="danger" onClick=${reset}>Reset all public keys</button></p>`}
        <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} /></section>
      <section class="card"><h3>Links of ${client}</h3>
        <${KeyList} client=${client} kind="links" gen=${gen} onChange=${() => setGen(gen + 1)} /></section>`}`;
}
