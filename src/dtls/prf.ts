/** The TLS 1.2 PRF (RFC 5246 §5), the key block, the master secrets and the RFC 5705 exporter. */
import { createHash, createHmac } from 'node:crypto';

export type PrfHash = 'sha256' | 'sha384';

const encoder = new TextEncoder();

/** P_hash(secret, label + seed) truncated to `length` bytes. */
export function prf(
  hash: PrfHash,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  const labelSeed = new Uint8Array(label.length + seed.byteLength);
  labelSeed.set(encoder.encode(label), 0);
  labelSeed.set(seed, label.length);
  const out = new Uint8Array(length);
  let a: Uint8Array = labelSeed;
  let at = 0;
  while (at < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    const n = Math.min(block.byteLength, length - at);
    out.set(block.subarray(0, n), at);
    at += n;
  }
  return out;
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

export function masterSecret(
  hash: PrfHash,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  return prf(hash, preMasterSecret, 'master secret', concat2(clientRandom, serverRandom), 48);
}

/** RFC 7627: the master secret bound to the hash of the handshake up to ClientKeyExchange. */
export function extendedMasterSecret(
  hash: PrfHash,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array {
  return prf(hash, preMasterSecret, 'extended master secret', sessionHash, 48);
}

export function keyBlock(
  hash: PrfHash,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
): Uint8Array {
  return prf(hash, master, 'key expansion', concat2(serverRandom, clientRandom), length);
}

export function verifyData(
  hash: PrfHash,
  master: Uint8Array,
  label: string,
  handshakeHash: Uint8Array,
): Uint8Array {
  return prf(hash, master, label, handshakeHash, 12);
}

/** RFC 5705 keying material exporter, without a context value (as DTLS-SRTP uses it). */
export function exportKeyingMaterial(
  hash: PrfHash,
  master: Uint8Array,
  label: string,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
): Uint8Array {
  return prf(hash, master, label, concat2(clientRandom, serverRandom), length);
}

export function digest(hash: PrfHash, parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return h.digest();
}
