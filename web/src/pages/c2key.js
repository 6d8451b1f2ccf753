// PK mode: C2's own key pair, its rotation and the stragglers.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorBox, Facts, Notice, Title, confirmAction, fmtNum, link, plural, useAction, useLoad, useSession } from '../ui.js';

export function C2Key() {
  const { canWrite, mode } = useSession();
  const st = useLoad(() => api.get('/v1/status'), []);
  const key = useLoad(() => (mode === 'pk' ? api.get('/v1/c2/pubkey') : Promise.resolve(null)), [mode]);
  const [finished, setFinished] = useState(null);
  const a = useAction();
  if (mode !== 'pk') return html`<${Title}>C2 key<//><p>C2 has its own key pair in PK mode only.</p>`;
  const s = st.data;
  const reload = () => { st.reload(); key.reload(); };
  const rotate = async () => {
    if (!(await confirmAction({
      title: 'Rotate C2\'s key pair?',
      sends: `Sends SetC2Key (the new public key) to every client (${plural(s.clients, 'client')}), under the old key. The old pair is kept until you finish.`,
      confirm: 'Rotate C2 key',
    }))) return;
    if ((await a.run(() => api.post('/v1/c2/rotate-key'), (r) => `New C2 key, generation ${r.generation}.`)) !== undefined) reload();
  };
  const finish = async () => {
    if (!(await confirmAction({
      title: 'Finish the C2 key rotation?',
      sends: `Sends nothing. Erases the old C2 key pair: the ${plural(s.c2_key.unconfirmed, 'client')} that never confirmed the new key (stragglers) can no longer be reached and must be provisioned again.`,
      confirm: 'Finish rotation',
    }))) return;
    const r = await a.run(() => api.post('/v1/c2/rotate-key/finish'), 'Rotation finished: the old key pair is erased.');
    if (r) { setFinished(r); reload(); }
  };
  return html`<${Title}>C2 key<//>
    <${ErrorBox} error=${st.error || key.error} />
    ${s && key.data && html`<section class="card">
      <${Facts} rows=${[
        ['public key', html`<code>${key.data.pubkey}</code>`], ['generation', s.c2_key.generation],
        ['rotation in progress', s.c2_key.rotating ? 'yes' : 'no'],
        ['clients not confirming the new key', fmtNum(s.c2_key.unconfirmed)],
      ]} />
      ${canWrite && html`<div class="row">
        <button type="button" onClick=${rotate}>Rotate C2 key</button>
        ${s.c2_key.rotating && html`<button type="button" class="danger" onClick=${finish}>Finish rotation</button>`}</div>`}
      <${ErrorBox} error=${a.error} /><${Notice} text=${a.notice} />
    </section>`}
    ${finished && html`<section class="card"><h3>Stragglers</h3>
      <p>${fmtNum(finished.unsent)} SetC2Key still queued; ${fmtNum(finished.unconfirmed)} client(s) never confirmed.</p>
      <ul>${(finished.stragglers || []).map((c) => html`<li><a href=${link('clients', c.name)}>${c.name}</a> <code>${c.id}</code></li>`)}</ul>
    </section>`}`;
}
