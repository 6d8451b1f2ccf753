// The console's server-sent events parser (web/src/events.js): records cut
// anywhere across chunks, comments (keep-alives), CRLF, multi-line data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSSE } from '../src/events.js';

const feed = (chunks) => {
  const out = [];
  let rest = '';
  for (const c of chunks) rest = parseSSE(rest + c, (r) => out.push(r));
  return { out, rest };
};

const stream = 'id: 7\nevent: topic.rotated\ndata: {"id":7,"type":"topic.rotated"}\n\n' +
  ': keep-alive\n\n' +
  'id: 8\nevent: commands.sent\ndata: {"id":8}\n\n';

test('whole records, keep-alives skipped', () => {
  const { out, rest } = feed([stream]);
  assert.deepEqual(out, [
    { id: '7', event: 'topic.rotated', data: '{"id":7,"type":"topic.rotated"}' },
    { id: '8', event: 'commands.sent', data: '{"id":8}' },
  ]);
  assert.equal(rest, '');
});

test('the same records cut at every byte', () => {
  for (let i = 1; i < stream.length; i++) {
    const { out, rest } = feed([stream.slice(0, i), stream.slice(i)]);
    assert.equal(out.length, 2, `cut at ${i}`);
    assert.equal(out[1].data, '{"id":8}');
    assert.equal(rest, '');
  }
});

test('an unfinished record waits for the rest', () => {
  const { out, rest } = feed(['id: 9\ndata: {"a":']);
  assert.equal(out.length, 0);
  assert.equal(rest, 'id: 9\ndata: {"a":');
});

test('CRLF lines and multi-line data', () => {
  const { out } = feed(['id: 1\r\ndata: a\r\ndata: b\r\n\r\n']);
  assert.deepEqual(out, [{ id: '1', event: null, data: 'a\nb' }]);
});
