/**
 * The addon's own checks, with the TypeScript wrappers out of the way: hostile offsets and lengths written
 * straight into the parameter blocks, wrong argument types, and contexts outliving parts of themselves
 * across garbage collection. A call either works inside the spans it was given or throws a
 * RangeError/TypeError; bytes outside the buffer it was given are never written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AeadBinding, CmBinding } from '../../src/common/native.js';
import { Prng } from '../sim/network.js';
import { native, needsAddon } from './addon.js';

const CANARY = 0xa5;

/** A view of `length` bytes with canary bytes on both sides of it in the same ArrayBuffer. */
function guarded(length: number): { view: Uint8Array; intact(): boolean } {
  const backing = new Uint8Array(length + 64).fill(CANARY);
  const view = backing.subarray(32, 32 + length);
  view.set(randomBytes(length));
  return {
    view,
    intact: () =>
      backing.subarray(0, 32).every((b) => b === CANARY) &&
      backing.subarray(32 + length).every((b) => b === CANARY),
  };
}

/** A value a hostile or buggy caller might write: small, edge, wrapping or huge. */
function wild(rng: Prng, size: number): number {
  switch (rng.int(6)) {
    case 0:
      return rng.int(size + 1);
    case 1:
      return size - rng.int(20);
    case 2:
      return 0xffffffff - rng.int(20); // what -1..-20 become in the Uint32Array
    case 3:
      return rng.int(2 ** 32);
    case 4:
      return 2 ** 24 + rng.int(3) - 1; // around the C side's MAX_TEXT
    default:
      return rng.int(32);
  }
}

function expectContained(call: () => unknown): 'ok' | 'refused' {
  try {
    call();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof RangeError || e instanceof TypeError, `unexpected ${String(e)}`);
    return 'refused';
  }
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('native addon bounds checks', () => {
  it('AEAD: random parameter blocks never make it touch memory outside the buffers', needsAddon, () => {
    const rng = new Prng(4242);
    const binding: AeadBinding = native.addon!.aeadCreate(1, randomBytes(16));
    const words = new Uint32Array(binding.params, 0, 6);
    const counts = { ok: 0, refused: 0 };
    for (let i = 0; i < 20_000; i++) {
      const src = guarded(rng.int(300));
      const dst = guarded(rng.int(300));
      const size = Math.max(src.view.length, dst.view.length);
      for (let w = 0; w < 6; w++) words[w] = wild(rng, size);
      words[5] = rng.int(3) === 0 ? wild(rng, 2) : rng.int(2);
      const inPlace = rng.int(2) === 0;
      const result = expectContained(() =>
        rng.int(2) === 0
          ? binding.seal(src.view, inPlace ? undefined : dst.view)
          : binding.open(src.view, inPlace ? undefined : dst.view),
      );
      counts[result]++;
      assert.ok(src.intact() && dst.intact(), `iteration ${i} wrote outside its buffers`);
    }
    assert.ok(counts.ok > 100 && counts.refused > 100, JSON.stringify(counts));
  });

  it('AES-CM: random parameter blocks never make it touch memory outside the buffer', needsAddon, () => {
    const rng = new Prng(777);
    const binding: CmBinding = native.addon!.cmCreate(randomBytes(16), randomBytes(20));
    const words = new Uint32Array(binding.params, 0, 8);
    const counts = { ok: 0, refused: 0 };
    for (let i = 0; i < 20_000; i++) {
      const buf = guarded(rng.int(400));
      const size = buf.view.length;
      for (let w = 0; w < 8; w++) words[w] = rng.int(5) === 0 ? wild(rng, size) : rng.int(size / 2 + 1);
      if (rng.int(2)) words[7] = rng.int(24);
      const result = expectContained(() =>
        rng.int(2) === 0 ? binding.protect(buf.view) : binding.unprotect(buf.view),
      );
      counts[result]++;
      assert.ok(buf.intact(), `iteration ${i} wrote outside its buffer`);
    }
    assert.ok(counts.ok > 100 && counts.refused > 100, JSON.stringify(counts));
  });

  it('refuses wrong argument types and keys with a TypeError or RangeError', needsAddon, () => {
    const addon = native.addon!;
    const a = addon.aeadCreate(3, randomBytes(32));
    const c = addon.cmCreate(randomBytes(16), randomBytes(20));
    const bad: unknown[] = [
      undefined,
      null,
      5,
      'text',
      {},
      [],
      new Uint16Array(8),
      new Int8Array(8),
      new DataView(new ArrayBuffer(8)),
      new ArrayBuffer(8),
    ];
    for (const v of bad) {
      assert.throws(() => (a.seal as (x: unknown) => void)(v), TypeError);
      assert.throws(
        () => (a.open as (x: unknown, y: unknown) => void)(new Uint8Array(32), v === undefined ? null : v),
        TypeError,
      );
      assert.throws(() => (c.protect as (x: unknown) => void)(v), TypeError);
    }
    assert.throws(() => addon.aeadCreate(1, randomBytes(32)), RangeError, 'AES-128 with a 32-byte key');
    assert.throws(() => addon.aeadCreate(2, randomBytes(16)), RangeError);
    assert.throws(() => addon.aeadCreate(3, randomBytes(16)), RangeError);
    assert.throws(() => addon.aeadCreate(0, randomBytes(16)), RangeError);
    assert.throws(() => addon.aeadCreate(-1, randomBytes(16)), RangeError);
    assert.throws(
      () => (addon.aeadCreate as (k: unknown, b: unknown) => void)('1', randomBytes(16)),
      TypeError,
    );
    assert.throws(() => addon.cmCreate(randomBytes(24), randomBytes(20)), RangeError);
    assert.throws(() => addon.cmCreate(randomBytes(16), randomBytes(65)), RangeError);
    // Partly overlapping input and output are refused; exactly in place is fine.
    const words = new Uint32Array(a.params, 0, 6);
    const buf = new Uint8Array(100);
    words.set([0, 40, 0, 0, 0, 1]);
    assert.throws(() => a.seal(buf.subarray(0, 60), buf.subarray(10, 70)), RangeError);
    a.seal(buf.subarray(0, 60), buf.subarray(0, 60));
  });

  it('a context lives while any of its functions or its parameter block does', needsAddon, () => {
    const addon = native.addon!;
    const keep: {
      params?: ArrayBuffer;
      seal?: AeadBinding['seal'];
      protect?: CmBinding['protect'];
      cmParams?: ArrayBuffer;
    }[] = [];
    for (let i = 0; i < 200; i++) {
      const a = addon.aeadCreate(1, randomBytes(16));
      const c = addon.cmCreate(randomBytes(16), randomBytes(20));
      keep.push(i % 2 ? { params: a.params, protect: c.protect } : { seal: a.seal, cmParams: c.params });
    }
    gc();
    gc();
    const buf = new Uint8Array(64);
    for (const k of keep) {
      if (k.params) new Uint8Array(k.params).fill(1); // the memory is still the context's
      if (k.cmParams) new Uint8Array(k.cmParams).fill(0);
      if (k.seal) k.seal(buf); // params were zero: 0 bytes in place at 0, tag at 0..16
      if (k.protect) k.protect(buf); // whatever the params hold now: contained either way
    }
    keep.length = 0;
    gc();
  });
});
