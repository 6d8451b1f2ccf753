// Clients: search and page through any number of them (the API pages;
// only one page is ever loaded), add one, import a file.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Badge, ErrorBox, Pager, Title, fmtNum, fmtTime, link, useAction, useSearchPage, useSession, Notice } from '../ui.js';

const LIMIT = 50;

function AddClient({ onAdded }) {
  const { mode } = useSession();
  const [f, setF] = useState({ name: '', secretKind: 'generate', secret: '' });
  const [added, setAdded] = useState(null);
  const a = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { name: f.name.trim() };
    if (f.secretKind !== 'generate') body[f.secretKind] = f.secret;
    const r = await a.run(() => api.post('/v1/clients', body));
    if (r) {
      setAdded(r);
      setF({ name: '', secretKind: 'generate', secret: '' });
      onAdded();
    }
  };
  const kinds = mode === 'pk' ? [['generate', 'C2 generates a key pair'], ['pubkey', 'public key (64 hex)'], ['password', 'password']]
    : [['generate', 'C2 generates a key'], ['key', 'key (64 hex)'], ['password', 'password']];
  return html`<section class="card" aria-labelledby="add-title">
    <h3 id="add-title">Add a client</h3>
    <form class="inline" onSubmit=${submit}>
      <label>Name <input id="client-name" required value=${f.name} onInput=${set('name')} /></label>
      <label>Key material <select id="client-secret-kind" value=${f.secretKind} onChange=${set('secretKind')}>
        ${kinds.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select></label>
      ${f.secretKind !== 'generate' && html`<label>${f.secretKind}
        <input id="client-secret" type=${f.secretKind === 'pubkey' ? 'text' : 'password'} autocomplete="off"
          value=${f.secret} onInput=${set('secret')} /></label>`}
      <button type="submit" disabled=${a.busy}>Add client</button>
    </form>
    <${ErrorBox} error=${a.error} />
    ${added && html`<div class="notice" role="status">Added client <a href=${link('clients', added.name)}>${added.name}</a>
      (id <code>${added.id}</code>).</div>
      ${added.key && html`<div class="secret" id="added-key"><strong>Its key, shown only this once:</strong>
        <br /><code>${added.key}</code><br />Give it to the device now; C2 will not show it again.</div>`}`}
  </section>`;
}

function ImportClients({ onImported }) {
  const [file, setFile] = useState(null);
  const a = useAction();
  const submit = async (e) => {
    e.preventDefault();
    if (!file) return;
    const r = await a.run(async () => {
      const text = await file.text();
      // A JSON array, or one client per line (NDJSON): the API takes both.
      const type = text.trimStart().startsWith('[') ? 'application/json' : 'application/x-ndjson';
      return api.raw('POST', '/v1/clients/import', text, type);
    }, (r) => `Imported ${fmtNum(r.imported)} client(s).`);
    if (r) onImported();
  };
  return html`<section class="card" aria-labelledby="import-title">
    <h3 id="import-title">Import clients</h3>
    <p class="muted">A JSON array of clients, or one per line: <code>{"name":"...","key":"..."}</code>. All or nothing.</p>
    <form class="inline" onSubmit=${submit}>
      <label>File <input id="import-file" type="file" accept=".json,.ndjson,.jsonl,application/json"
        onChange=${(e) => setFile(e.target.files[0] || null)} /></label>
      <button type="submit" disabled=${!file || a.busy}>Import</button>
    </form>
    <${ErrorBox} error=${a.error} />
    <${Notice} text=${a.notice} />
  </section>`;
}

export function Clients() {
  const { canWrite, mode } = useSession();
  const { page, typed, setTyped, offset, setOffset } = useSearchPage('/v1/clients', LIMIT);
  const d = page.data;
  return html`<${Title}>Clients<//>
    ${canWrite && html`<${AddClient} onAdded=${page.reload} /><${ImportClients} onImported=${page.reload} />`}
    <section class="card" aria-labelledby="list-title">
      <h3 id="list-title">All clients</h3>
      <form class="inline" role="search" onSubmit=${(e) => e.preventDefault()}>
        <label>Search by name <input id="client-search" type="search" value=${typed}
          onInput=${(e) => setTyped(e.target.value)} /></label>
      </form>
      <${ErrorBox} error=${page.error} />
      ${d && html`<${Pager} offset=${offset} limit=${LIMIT} total=${d.total} onOffset=${setOffset} what="clients" />
        <table id="clients-table"><thead><tr><th>name</th><th>id</th><th class="num">topics</th>
          <th class="num">pending</th><th>sync</th><th>last state</th>${mode === 'pk' ? html`<th>C2 key gen.</th>` : null}</tr></thead>
        <tbody>${d.items.map((c) => html`<tr>
          <td><a href=${link('clients', c.name)}>${c.name}</a></td><td class="mono">${c.id}</td>
          <td class="num">${fmtNum(c.topics)}</td><td class="num">${fmtNum(c.pending)}</td>
          <td><${Badge} v=${c.sync} /></td><td>${fmtTime(c.state_at)}</td>
          ${mode === 'pk' ? html`<td>${c.c2_key_generation ?? '—'}</td>` : null}</tr>`)}
        </tbody></table>`}
    </section>`;
}
