// noble's side of bench/pq.c: @noble/post-quantum's ML-DSA-65 and X-Wing
// (ml_kem768_x25519) operations per second on this node, one line each:
// "name ops_per_second". Lives here beside its package; never a test.
//
//   node bench.mjs [SECONDS_PER_OP]
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';

const seconds = Number(process.argv[2] || '1');
const msg = new Uint8Array(64).fill(7);
const ctx = new TextEncoder().encode('E4 pq-pk v1');

function rate(fn) {
  for (let i = 0; i < 3; i++) fn(); // warm the JIT
  let n = 0;
  const t0 = process.hrtime.bigint();
  let t;
  do {
    fn();
    n++;
    t = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (t < seconds);
  return n / t;
}

const dsa = ml_dsa65.keygen(new Uint8Array(32).fill(1));
const sig = ml_dsa65.sign(msg, dsa.secretKey, { context: ctx });
const xw = ml_kem768_x25519.keygen(new Uint8Array(32).fill(2));
const enc = ml_kem768_x25519.encapsulate(xw.publicKey);
const results = {
  mldsa65_sign: rate(() => ml_dsa65.sign(msg, dsa.secretKey, { context: ctx })),
  mldsa65_verify: rate(() => ml_dsa65.verify(sig, msg, dsa.publicKey, { context: ctx })),
  xwing_encaps: rate(() => ml_kem768_x25519.encapsulate(xw.publicKey)),
  xwing_decaps: rate(() => ml_kem768_x25519.decapsulate(enc.cipherText, xw.secretKey)),
};
for (const [k, v] of Object.entries(results)) process.stdout.write(`${k} ${v.toFixed(1)}\n`);
