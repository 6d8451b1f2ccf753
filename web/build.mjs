// Bundles the console: src/main.js (Preact + htm) into one console.js, and
// copies static/ (index.html, console.css). Usage: node build.mjs --out DIR
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const at = process.argv.indexOf('--out');
if (at < 0 || !process.argv[at + 1]) {
  console.error('usage: node build.mjs --out DIR');
  process.exit(2);
}
const out = process.argv[at + 1];
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/main.js')],
  outfile: join(out, 'console.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of readdirSync(join(here, 'static'))) copyFileSync(join(here, 'static', f), join(out, f));
