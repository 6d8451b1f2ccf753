// Topics: search and page, add one.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Notice, Pager, Title, fmtNum, fmtTime, link, useAction, useSearchPage, useSession } from '../ui.js';

const LIMIT = 50;

function AddTopic({ onAdded }) {
  const [name, setName] = useState('');
  const a = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const r = await a.run(() => api.post('/v1/topics', { name }), (t) => `Added topic ${t.name} (version ${t.version}).`);
    if (r) { setName(''); onAdded(); }
  };
  return html`<section class="card" aria-labelledby="add-topic-title">
    <h3 id="add-topic-title">Add a topic</h3>
    <form class="inline" onSubmit=${submit}>
      <label>Topic name <input id="topic-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <button type="submit" disabled=${a.busy}>Add topic</button>
    </form>
    <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
  </section>`;
}

export function Topics() {
  const { canWrite } = useSession();
  const { page, typed, setTyped, offset, setOffset } = useSearchPage('/v1/topics', LIMIT);
  const d = page.data;
  return html`<${Title}>Topics<//>
    ${canWrite && html`<${AddTopic} onAdded=${page.reload} />`}
    <section class="card">
      <form class="inline" role="search" onSubmit=${(e) => e.preventDefault()}>
        <label>Search by name <input id="topic-search" type="search" value=${typed} onInput=${(e) => setTyped(e.target.value)} /></label>
      </form>
      <${ErrorBox} error=${page.error} />
      ${d && html`<${Pager} offset=${offset} limit=${LIMIT} total=${d.total} onOffset=${setOffset} what="topics" />
        <table id="topics-table"><thead><tr><th>topic</th><th class="num">key version</th><th class="num">members</th>
          <th class="num">not on current key</th><th class="num">commands not sent</th><th>rotated</th></tr></thead>
        <tbody>${d.items.map((t) => html`<tr><td><a href=${link('topics', t.name)}>${t.name}</a></td>
          <td class="num">${t.version}</td><td class="num">${fmtNum(t.members)}</td><td class="num">${fmtNum(t.not_current)}</td>
          <td class="num">${fmtNum(t.behind)}</td><td>${fmtTime(t.rotated_at)}</td></tr>`)}</tbody></table>`}
    </section>`;
}
