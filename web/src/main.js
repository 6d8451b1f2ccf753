// The e4c2 console: sign-in, the frame (header, navigation) and the pages.
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler, token } from './api.js';
import { createEventStream } from './events.js';
import { ConfirmHost, ErrorBox, Session, link, useRoute } from './ui.js';
import { Overview } from './pages/overview.js';
import { Clients } from './pages/clients.js';
import { ClientPage } from './pages/client.js';
import { Topics } from './pages/topics.js';
import { TopicPage } from './pages/topic.js';
import { PublicKeys } from './pages/pubkeys.js';
import { C2Key } from './pages/c2key.js';
import { Policies } from './pages/policies.js';
import { Monitoring } from './pages/monitoring.js';

const stream = createEventStream();

function SignIn({ onSignedIn, reason }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(reason || null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const who = await api.whoami(value.trim());
      token.set(value.trim());
      setValue('');
      onSignedIn(who);
    } catch (err) {
      setError(err);
    }
  };
  return html`<main class="signin">
    <section class="card">
      <h2>Sign in to e4c2</h2>
      <p class="muted">Paste an API token (<code>e4c2 token create NAME</code>). It stays in this tab only.</p>
      <form onSubmit=${submit}>
        <label>API token
          <input id="token" type="password" autocomplete="off" required autofocus
            value=${value} onInput=${(e) => setValue(e.target.value)} /></label>
        <p><button type="submit">Sign in</button></p>
      </form>
      <${ErrorBox} error=${error} />
    </section>
  </main>`;
}

const PAGES = [
  ['overview', 'Overview'],
  ['clients', 'Clients'],
  ['topics', 'Topics'],
  ['pubkeys', 'Public keys', 'pk'],
  ['c2key', 'C2 key', 'pk'],
  ['policies', 'Policies'],
  ['monitoring', 'Monitoring'],
];

function Page({ route }) {
  const [page, arg] = route;
  switch (page) {
    case 'clients': return arg ? html`<${ClientPage} name=${arg} />` : html`<${Clients} />`;
    case 'topics': return arg ? html`<${TopicPage} name=${arg} />` : html`<${Topics} />`;
    case 'pubkeys': return html`<${PublicKeys} client=${arg} />`;
    case 'c2key': return html`<${C2Key} />`;
    case 'policies': return html`<${Policies} />`;
    case 'monitoring': return html`<${Monitoring} />`;
    default: return html`<${Overview} stream=${stream} />`;
  }
}

function Console({ who, mode, onSignOut }) {
  const route = useRoute();
  const session = useMemo(() => ({ canWrite: !who.read_only, mode, name: who.name }), [who, mode]);
  useEffect(() => {
    const titles = Object.fromEntries(PAGES);
    document.title = `${titles[route[0]] || 'Overview'} · e4c2`;
    const h = document.querySelector('main h2');
    if (h) h.focus({ preventScroll: true });
  }, [route[0], route[1]]);
  return html`<${Session.Provider} value=${session}>
    <header class="top">
      <h1>e4c2 console</h1>
      <span class="who">signed in as <strong>${who.name}</strong>
        ${who.read_only ? html` <span class="badge" id="read-only">read-only</span>` : null}
        ${' · '}${mode.toUpperCase()} mode
        <button type="button" class="secondary" onClick=${onSignOut}>Sign out</button></span>
    </header>
    <div class="layout">
      <nav class="side" aria-label="pages"><ul>
        ${PAGES.filter((p) => !p[2] || p[2] === mode).map(([id, title]) => html`<li>
          <a href=${link(id)} aria-current=${route[0] === id ? 'page' : undefined}>${title}</a></li>`)}
      </ul></nav>
      <main tabindex="-1"><${Page} route=${route} /></main>
    </div>
    <${ConfirmHost} />
  <//>`;
}

function App() {
  const [who, setWho] = useState(null);
  const [mode, setMode] = useState(null);
  const [reason, setReason] = useState(null);
  const [checking, setChecking] = useState(!!token.get());

  const signOut = (why) => {
    stream.stop();
    token.clear();
    setWho(null);
    setMode(null);
    setReason(why || null);
  };
  useEffect(() => {
    setUnauthorizedHandler((err) => signOut(err));
    if (token.get()) api.whoami().then(setWho, (e) => signOut(e)).finally(() => setChecking(false));
  }, []);
  useEffect(() => {
    if (!who) return;
    api.get('/v1/status').then((st) => setMode(st.mode), () => setMode('sk'));
    stream.start();
  }, [who]);

  if (checking) return html`<p class="loading">Checking the token…</p>`;
  if (!who) return html`<${SignIn} reason=${reason} onSignedIn=${(w) => { setReason(null); setWho(w); }} />`;
  if (!mode) return html`<p class="loading">Loading…</p>`;
  return html`<${Console} who=${who} mode=${mode} onSignOut=${() => signOut()} />`;
}

const root = document.getElementById('app');
root.textContent = '';   // the "Loading" line of index.html
render(html`<${App} />`, root);
