// The independent oracle of tests/pq: @noble/post-quantum computes, from
// inputs derived from a seed given on the command line, what libe4's
// ML-KEM-768, ML-DSA-65 and X-Wing must produce byte for byte. One JSON
// object per line on stdout; the C test (test_pq_noble) recomputes each.
//
//   node oracle.mjs SEED_HEX COUNT
//
// Inputs are SHAKE256(seed || label || index), so a failing case is
// reproduced by running again with the seed the test printed.
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { shake256 } from '@noble/hashes/sha3.js';

const [seedHex, countArg] = process.argv.slice(2);
if (!/^([0-9a-f]{2})+$/.test(seedHex || '') || !/^[0-9]+$/.test(countArg || '')) {
  process.stderr.write('usage: node oracle.mjs SEED_HEX COUNT\n');
  process.exit(2);
}
const seed = Buffer.from(seedHex, 'hex');
const count = Number(countArg);
const hex = (b) => Buffer.from(b).toString('hex');

function derive(label, i, len) {
  const idx = Buffer.alloc(4);
  idx.writeUInt32LE(i);
  return shake256(Buffer.concat([seed, Buffer.from(label), idx]), { dkLen: len });
}

// A copy of b with byte `at` xored by a nonzero value.
function corrupt(b, at, x) {
  const c = Uint8Array.from(b);
  c[at % c.length] ^= (x | 1) & 0xff;
  return c;
}

function mlkem(i) {
  const r = derive('mlkem', i, 64 + 32 + 4);
  const { publicKey, secretKey } = ml_kem768.keygen(r.subarray(0, 64));
  const m = r.subarray(64, 96);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m);
  const bad = corrupt(cipherText, r[96] | (r[97] << 8), r[98]);
  return {
    kind: 'mlkem', dz: hex(r.subarray(0, 64)), m: hex(m), ek: hex(publicKey), dk: hex(secretKey),
    ct: hex(cipherText), ss: hex(sharedSecret), decaps: hex(ml_kem768.decapsulate(cipherText, secretKey)),
    bad_ct: hex(bad), bad_ss: hex(ml_kem768.decapsulate(bad, secretKey)),
  };
}

function mldsa(i) {
  const r = derive('mldsa', i, 32 + 32 + 8);
  const { publicKey, secretKey } = ml_dsa65.keygen(r.subarray(0, 32));
  const msg = derive('mldsa-msg', i, r[64] + 256 * (r[65] & 1));
  const ctx = derive('mldsa-ctx', i, i % 3 === 0 ? 0 : r[66]);
  const rnd = r.subarray(32, 64);
  const det = ml_dsa65.sign(msg, secretKey, { context: ctx, extraEntropy: false });
  const hedged = ml_dsa65.sign(msg, secretKey, { context: ctx, extraEntropy: rnd });
  const bad = corrupt(det, r[67] | (r[68] << 8), r[69]);
  const wrongCtx = corrupt(ctx.length ? ctx : new Uint8Array([0]), r[70], r[71]);
  const ok = (sig, c) => ml_dsa65.verify(sig, msg, publicKey, { context: c });
  return {
    kind: 'mldsa', seed: hex(r.subarray(0, 32)), rnd: hex(rnd), msg: hex(msg), ctx: hex(ctx),
    pk: hex(publicKey), sk: hex(secretKey), sig: hex(det), sig_hedged: hex(hedged),
    valid: ok(det, ctx), bad_sig: hex(bad), bad_valid: ok(bad, ctx),
    wrong_ctx: hex(wrongCtx), wrong_ctx_valid: ok(det, wrongCtx),
  };
}

function xwing(i) {
  const r = derive('xwing', i, 32 + 64 + 4);
  const { publicKey, secretKey } = ml_kem768_x25519.keygen(r.subarray(0, 32));
  const eseed = r.subarray(32, 96);
  const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey, eseed);
  const bad = corrupt(cipherText.subarray(0, 1088), r[96] | (r[97] << 8), r[98]);
  const badCt = Uint8Array.from([...bad, ...cipherText.subarray(1088)]);
  return {
    kind: 'xwing', seed: hex(r.subarray(0, 32)), sk: hex(secretKey), eseed: hex(eseed),
    pk: hex(publicKey), ct: hex(cipherText), ss: hex(sharedSecret),
    decaps: hex(ml_kem768_x25519.decapsulate(cipherText, secretKey)),
    bad_ct: hex(badCt), bad_ss: hex(ml_kem768_x25519.decapsulate(badCt, secretKey)),
  };
}

for (const f of [mlkem, mldsa, xwing])
  for (let i = 0; i < count; i++)
    process.stdout.write(JSON.stringify(f(i)) + '\n');
