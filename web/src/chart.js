// Small SVG charts, drawn here (no chart library): lines over time and
// bars over buckets. Text alternatives: each chart has a title and a
// summary for screen readers.
import { html } from 'htm/preact';
import { toDate } from './ui.js';

const W = 480, H = 170, L = 40, R = 10, T = 10, B = 24;

function niceMax(v) {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 8]) if (m * p >= v) return m * p;   // quarters stay whole
  return 10 * p;
}

function yGrid(max) {
  return [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = T + (H - T - B) * (1 - f);
    return html`<line class="grid" x1=${L} x2=${W - R} y1=${y} y2=${y} />
      <text x=${L - 4} y=${y + 3} text-anchor="end">${Math.round(max * f)}</text>`;
  });
}

const hhmm = (t) => {
  const d = toDate(t);
  return d ? d.toISOString().slice(11, 16) : '';
};

// series: [{name, values: [n...]}], at: [time...] (same length).
export function LineChart({ title, at, series }) {
  const n = at.length;
  const max = niceMax(Math.max(1, ...series.flatMap((s) => s.values)));
  const x = (i) => L + (n <= 1 ? 0 : ((W - L - R) * i) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const ticks = n ? [...new Set([0, Math.floor((n - 1) / 2), n - 1])] : [];
  const summary = series.map((s) => `${s.name}: ${s.values.reduce((a, b) => a + b, 0)} in total`).join('; ');
  return html`<figure class="chart-box">
    <figcaption><strong>${title}</strong>
      <span class="legend">${series.map((s, i) => html`<span class=${`s${i}`}>${s.name}</span>`)}</span>
    </figcaption>
    <svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`${title}. ${summary}`}>
      ${yGrid(max)}
      <line class="axis" x1=${L} x2=${W - R} y1=${H - B} y2=${H - B} />
      ${ticks.map((i, k) => html`<text x=${x(i)} y=${H - 8}
        text-anchor=${k === 0 ? 'start' : k === ticks.length - 1 ? 'end' : 'middle'}>${hhmm(at[i])}</text>`)}
      ${series.map((s, k) => html`<g class=${`s${k}`}>
        <polyline fill="none" stroke-width="2" points=${s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
        ${s.values.map((v, i) => (v ? html`<circle cx=${x(i)} cy=${y(v)} r="2.5"><title>${hhmm(at[i])}: ${v}</title></circle>` : null))}
      </g>`)}
    </svg>
  </figure>`;
}

// bars: [{label, value}]
export function BarChart({ title, bars }) {
  const max = niceMax(Math.max(1, ...bars.map((b) => b.value)));
  const n = Math.max(1, bars.length);
  const slot = (W - L - R) / n;
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(', ');
  return html`<figure class="chart-box">
    <figcaption><strong>${title}</strong></figcaption>
    <svg class="chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${`${title}. ${summary}`}>
      ${yGrid(max)}
      <line class="axis" x1=${L} x2=${W - R} y1=${H - B} y2=${H - B} />
      ${bars.map((b, i) => {
        const h = ((H - T - B) * b.value) / max;
        return html`<g class="s0"><rect x=${L + i * slot + slot * 0.15} y=${H - B - h} width=${slot * 0.7} height=${h}>
            <title>${b.label}: ${b.value}</title></rect>
          <text x=${L + i * slot + slot / 2} y=${H - 8} text-anchor="middle">${b.label}</text></g>`;
      })}
    </svg>
  </figure>`;
}
