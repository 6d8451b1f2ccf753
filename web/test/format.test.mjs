// The console's pure helpers (web/src/ui.js, api.js): durations, times,
// query strings, path segments. Run by ctest (web_unit): node --test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { query, seg } from '../src/api.js';
import { fmtDuration, fmtNum, fmtTime, parseDuration, toDate } from '../src/ui.js';

test('parseDuration: units and plain seconds', () => {
  assert.equal(parseDuration('90s', 'x'), 90);
  assert.equal(parseDuration('15m', 'x'), 900);
  assert.equal(parseDuration('24h', 'x'), 86400);
  assert.equal(parseDuration(' 7d ', 'x'), 604800);
  assert.equal(parseDuration('120', 'x'), 120);
  assert.equal(parseDuration('', 'x'), null);
  assert.equal(parseDuration(undefined, 'x'), null);
});

test('parseDuration: anything else is refused, naming the field', () => {
  for (const bad of ['abc', '5w', '-5', '1.5h', 'h', '10 minutes'])
    assert.throws(() => parseDuration(bad, 'rotate every'), /^Error: rotate every: use a number of seconds/);
});

test('fmtDuration: the largest whole unit', () => {
  assert.equal(fmtDuration(86400), '1d');
  assert.equal(fmtDuration(3600), '1h');
  assert.equal(fmtDuration(5400), '90m');
  assert.equal(fmtDuration(90), '90s');
  assert.equal(fmtDuration(null), '—');
  assert.equal(parseDuration(fmtDuration(604800), 'x'), 604800);
});

test('fmtTime: unix seconds or RFC 3339; unset is a dash', () => {
  assert.equal(fmtTime(1700000000), '2023-11-14 22:13:20Z');
  assert.equal(fmtTime('2023-11-14T22:13:20Z'), '2023-11-14 22:13:20Z');
  assert.equal(fmtTime(null), '—');
  assert.equal(fmtTime(0), '—');
  assert.equal(toDate('not a time'), null);
});

test('fmtNum groups thousands', () => {
  assert.equal(fmtNum(100000), '100,000');
  assert.equal(fmtNum(null), '—');
});

test('query drops empty parameters and encodes the rest', () => {
  assert.equal(query({ offset: 0, limit: 50, search: '' }), '?offset=0&limit=50');
  assert.equal(query({ search: 'a b&c' }), '?search=a+b%26c');
  assert.equal(query({}), '');
});

test('seg percent-encodes a topic\'s slash', () => {
  assert.equal(seg('plant/cams'), 'plant%2Fcams');
  assert.equal(seg('a b'), 'a%20b');
});
