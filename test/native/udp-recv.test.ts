/**
 * The addon's batched UDP reader (native/udp_recv.c) on its own: wrong arguments are TypeErrors or
 * RangeErrors before anything is watched, stop() is idempotent and safe after the socket closed, a
 * reader whose stop function is dropped is collected without harm, a worker that exits with a
 * reader running tears down cleanly (the environment cleanup hook closes it), and with an ages array each
 * datagram's time in the host (kernel receive stamp) is reported.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { native } from './addon.js';

const start = native.addon?.udpRecvStart;
const skip = native.skip || (!start && 'no batched receive on this platform');

function descriptor(socket: Socket): number {
  for (const key of Object.getOwnPropertySymbols(socket)) {
    const fd = (socket as unknown as Record<symbol, { handle?: { fd?: number } }>)[key]?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  throw new Error('no descriptor');
}

/** A bound socket whose node:dgram reading is stopped, so only the native reader takes datagrams. */
async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  for (const key of Object.getOwnPropertySymbols(s)) {
    const handle = (s as unknown as Record<symbol, { handle?: { recvStop?: () => number } }>)[key]?.handle;
    handle?.recvStop?.();
  }
  return s;
}

describe('native batched UDP receive', { skip }, () => {
  it('refuses wrong arguments with TypeError/RangeError', async () => {
    const s = await bound();
    const fd = descriptor(s);
    const meta = new Int32Array(128);
    const cb = () => {};
    const file = openSync(import.meta.filename, 'r');
    try {
      const cases: [unknown[], typeof TypeError | typeof RangeError][] = [
        [[], TypeError],
        [[fd, meta], TypeError],
        [[-1, meta, cb], RangeError],
        [['3', meta, cb], RangeError],
        [[fd, new Uint32Array(128), cb], TypeError],
        [[fd, new Uint8Array(512), cb], TypeError],
        [[fd, new Int32Array(127), cb], RangeError],
        [[fd, meta.buffer, cb], TypeError],
        [[fd, meta, 'not a function'], TypeError],
        [[file, meta, cb], RangeError], // a file, not a socket
        [[1 << 30, meta, cb], RangeError], // not a descriptor at all
        [[fd, meta, cb, new Uint32Array(32)], TypeError],
        [[fd, meta, cb, new Int32Array(31)], RangeError],
        [[fd, meta, cb, []], TypeError],
        [[fd, meta, cb, new Int32Array(32), 5], TypeError],
      ];
      for (const [args, kind] of cases)
        assert.throws(() => (start as (...a: unknown[]) => unknown)(...args), kind, JSON.stringify(args));
    } finally {
      s.close();
    }
  });

  it('stop() is idempotent and harmless after the socket closed; delivery stops at stop()', async () => {
    const s = await bound();
    const port = s.address().port;
    let batches = 0;
    const stop = start!(descriptor(s), new Int32Array(128), () => batches++);
    const tx = createSocket('udp4');
    try {
      tx.send(Uint8Array.of(1), port, '127.0.0.1');
      const deadline = Date.now() + 3000;
      while (batches === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.ok(batches > 0);
      stop();
      stop();
      const seen = batches;
      tx.send(Uint8Array.of(2), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(batches, seen);
    } finally {
      tx.close();
      s.close();
    }
    stop();
  });

  it("reports each datagram's age from its kernel receive stamp when given an ages array", async () => {
    const s = await bound();
    const port = s.address().port;
    const meta = new Int32Array(128);
    const ages = new Int32Array(32).fill(-1);
    const batches: { count: number; ages: number[] }[] = [];
    const stop = start!(
      descriptor(s),
      meta,
      (buffer, count) => {
        if (buffer) batches.push({ count, ages: [...ages.subarray(0, count)] });
      },
      ages,
    );
    // connected: its sends reach the kernel at once (no deferred address lookup)
    const tx = createSocket('udp4');
    await new Promise<void>((r) => tx.connect(port, '127.0.0.1', r));
    try {
      // two datagrams 60 ms apart while this event loop cannot read
      tx.send(Uint8Array.of(1));
      const t0 = performance.now();
      while (performance.now() - t0 < 60) {
        // busy: the datagram waits in the socket queue
      }
      tx.send(Uint8Array.of(2));
      const t1 = performance.now();
      while (performance.now() - t1 < 60) {}
      const deadline = Date.now() + 3000;
      while (batches.reduce((n, b) => n + b.count, 0) < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      const got = batches.flatMap((b) => b.ages);
      assert.equal(got.length, 2);
      assert.ok(got[0]! >= 110_000 && got[0]! <= 10_000_000, `first age ${got[0]} µs (waited ≥ 120 ms)`);
      assert.ok(got[1]! >= 50_000 && got[1]! <= got[0]! - 50_000, `second age ${got[1]} µs (waited ≥ 60 ms)`);
    } finally {
      stop();
      tx.close();
      s.close();
    }
  });

  it('a dropped stop function is collected and closes the reader', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s = await bound();
    (() => {
      start!(descriptor(s), new Int32Array(128), () => {});
    })();
    // The reader holds its callback strongly while watching; collecting the stop function must not free
    // memory libuv still uses (the handle closes first, then the context is released).
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    s.close();
  });

  it('a worker exiting with a reader running tears down cleanly', async () => {
    const code = `
      const { createSocket } = require('node:dgram');
      const addon = require(${JSON.stringify(native.addon ? nativePath() : '')});
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        let fd;
        for (const k of Object.getOwnPropertySymbols(s)) fd ??= s[k]?.handle?.fd;
        addon.udpRecvStart(fd, new Int32Array(128), () => {});
        require('node:worker_threads').parentPort.postMessage('started');
      });
    `;
    const worker = new Worker(code, { eval: true });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const exit = await worker.terminate();
    assert.equal(exit, 1); // terminated, not crashed
  });
});

function nativePath(): string {
  return (
    process.env.TSRTC_NATIVE_PATH ||
    new URL('../../native/build/Release/tsrtc_native.node', import.meta.url).pathname
  );
}
