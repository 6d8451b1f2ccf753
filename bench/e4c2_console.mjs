// The timing half of bench/e4c2_console.sh: the clients page of the console
// in chromium with N clients, against the bare API. Prints a table.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(join(process.env.E4_SRC_DIR, 'web', 'package.json'));
const { chromium } = require('playwright-core');
const URL = process.env.E4C2_URL, TOKEN = process.env.TOKEN, N = Number(process.env.N), REPS = Number(process.env.REPS);

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const best = (a) => Math.min(...a);
const row = (what, ms, bytes) => console.log(`| ${what} | ${best(ms).toFixed(0)} | ${median(ms).toFixed(0)} | ${bytes ?? '-'} |`);

async function api(path) {
  const t = performance.now();
  const res = await fetch(URL + path, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t, bytes: body.byteLength };
}

async function main() {
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];   // root: see tests/web
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args });
  const page = await browser.newPage();
  let apiBytes = 0;
  page.on('response', async (r) => {
    if (r.url().includes('/v1/clients')) apiBytes += (await r.body().catch(() => Buffer.alloc(0))).length;
  });
  await page.goto(`${URL}/ui/`);
  await page.locator('#token').fill(TOKEN);
  await page.keyboard.press('Enter');
  await page.locator('header .who').waitFor();
  // Timed inside the page: the action, then a MutationObserver until the
  // table shows the answer (no browser-driver polling in the numbers).
  const timed = (action, until) => page.evaluate(({ action, until }) => new Promise((resolve) => {
    const done = new Function(`return (${until})`);
    const t0 = performance.now();
    const check = () => {
      if (!done()) return false;
      obs.disconnect();
      resolve(performance.now() - t0);
      return true;
    };
    const obs = new MutationObserver(check);
    obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    new Function(action)();
  }), { action, until });
  const pagerSays = (text) => `[...document.querySelectorAll('.pager span')].some((e) => e.textContent === ${JSON.stringify(text)})`;
  const total = N.toLocaleString('en-US');
  const first = [], next = [], search = [];
  let firstBytes = 0;
  for (let i = 0; i < REPS; i++) {
    await page.goto(`${URL}/ui/#/overview`);
    await page.locator('#stat-clients').waitFor();
    apiBytes = 0;
    first.push(await timed("location.hash = '#/clients'", pagerSays(`1–50 of ${total} clients`)));
    await page.waitForTimeout(300);   // the responses' bodies counted
    firstBytes = apiBytes;
    next.push(await timed("[...document.querySelectorAll('button')].find((b) => b.textContent === 'Next').click()",
      pagerSays(`51–100 of ${total} clients`)));
    const name = `dev-${N - i}`;
    search.push(await timed(`const el = document.getElementById('client-search');
      el.value = ${JSON.stringify(name)}; el.dispatchEvent(new Event('input', { bubbles: true }));`,
    `[...document.querySelectorAll('#clients-table td a')].some((a) => a.textContent === ${JSON.stringify(name)})`) - 250);
  }
  const bare = [], bareSearch = [];
  let bareBytes = 0;
  for (let i = 0; i < REPS; i++) {
    const r = await api('/v1/clients?offset=0&limit=50');
    bare.push(r.ms);
    bareBytes = r.bytes;
    bareSearch.push((await api(`/v1/clients?offset=0&limit=50&search=dev-${N - i}`)).ms);
  }
  let allMs = 0, allBytes = 0;
  for (let off = 0; off < N; off += 1000) {
    const r = await api(`/v1/clients?offset=${off}&limit=1000`);
    allMs += r.ms;
    allBytes += r.bytes;
  }
  await browser.close();
  console.log(`\n${N.toLocaleString('en-US')} clients, ${REPS} runs\n`);
  console.log('| | best ms | median ms | API bytes |\n|---|---|---|---|');
  row('console: clients page shown (navigation to table)', first, firstBytes);
  row('console: next page shown', next);
  row('console: search answered (less its 250 ms typing debounce)', search);
  row('bare API: one page of 50 (fetch from node)', bare, bareBytes);
  row('bare API: the same search', bareSearch);
  console.log(`| loading all ${N.toLocaleString('en-US')} clients (pages of 1,000) | ${allMs.toFixed(0)} | - | ${allBytes} |`);
  console.log(`\nratio console first page / bare API page: ${(median(first) / median(bare)).toFixed(1)} (median); ` +
    `console page / loading all: ${(median(first) / allMs).toFixed(3)} in time, ${(firstBytes / allBytes).toFixed(4)} in bytes`);
}

main().catch((e) => { console.error(e); process.exit(1); });
