/**
 * Kernel receive times on real sockets: a peer (a worker thread, with its own event loop) sends a datagram
 * every 10 ms while this event loop is blocked for 200 ms. Through the native reader each datagram comes
 * with the time the kernel took it in, so the receive times are spread as the sends were, although the
 * datagrams were all processed at the end of the block; through node:dgram there is no receive time.
 * Margins (25 ms) allow for a descheduled sender on a loaded machine; bunching would be off by up to 200 ms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { nativeAddon } from '../../src/common/native.js';
import { nodeClock } from '../../src/net/clock.js';
import { UdpSocket } from '../../src/net/udp-socket.js';

interface Seen {
  index: number;
  /** When the peer sent it, on the peer's clock (ms). */
  sentAt: number;
  receivedAt: number | undefined;
  processedAt: number;
}

const COUNT = 40;
const EVERY_MS = 10;
const BLOCK_MS = 200;

/** A worker that sends COUNT datagrams [index, its performance.now()] every EVERY_MS ms to `port`. */
function startSender(port: number): Worker {
  const code = `
    const { createSocket } = require('node:dgram');
    const { performance } = require('node:perf_hooks');
    const s = createSocket('udp4');
    s.connect(${port}, '127.0.0.1', () => {
      let i = 0;
      const timer = setInterval(() => {
        const d = new Float64Array([i++, performance.now()]);
        s.send(new Uint8Array(d.buffer));
        if (i === ${COUNT}) { clearInterval(timer); setTimeout(() => s.close(), 20); }
      }, ${EVERY_MS});
    });
  `;
  return new Worker(code, { eval: true });
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
}

/** Receive the worker's datagrams, blocking this event loop for BLOCK_MS after the third one. */
async function receiveWithBlock(): Promise<{ seen: Seen[]; socket: UdpSocket }> {
  const socket = await UdpSocket.bind('127.0.0.1');
  const seen: Seen[] = [];
  socket.onMessage = (data, _from, receivedAt) => {
    const words = new Float64Array(data.slice().buffer);
    seen.push({ index: words[0]!, sentAt: words[1]!, receivedAt, processedAt: nodeClock.now() });
  };
  const worker = startSender(socket.local.port);
  try {
    await until(() => seen.length >= 3);
    const start = nodeClock.now();
    while (nodeClock.now() - start < BLOCK_MS) {
      // the event loop is busy: the datagrams wait in the socket's queue
    }
    await until(() => seen.length >= COUNT);
  } finally {
    await worker.terminate();
    socket.close();
  }
  return { seen, socket };
}

const nativeReceive = nativeAddon()?.udpRecvStart !== undefined && process.env.TSRTC_NATIVE_RECV !== '0';

describe('receive times of real datagrams', () => {
  it('are spread as the sends were across a 200 ms event-loop block (native reader)', {
    skip: !nativeReceive && 'no native batched receive (addon off or not on Linux)',
  }, async () => {
    const { seen, socket } = await receiveWithBlock();
    assert.equal(seen.length, COUNT);
    assert.equal(socket.batchedReceived, COUNT, 'every datagram came through recvmmsg');
    // the block did bunch them: several were processed together, long after they arrived
    const delayed = seen.filter((s) => s.processedAt - s.receivedAt! >= BLOCK_MS / 2);
    assert.ok(delayed.length >= 5, `${delayed.length} datagrams waited ≥ ${BLOCK_MS / 2} ms`);
    const processedSpan = delayed[delayed.length - 1]!.processedAt - delayed[0]!.processedAt;
    assert.ok(processedSpan < 50, `the delayed ones were processed within ${processedSpan} ms`);
    // ...yet their receive times follow their send times (loopback: the kernel stamps at the send)
    const first = seen[0]!;
    let worst = 0;
    for (const s of seen) {
      assert.ok(s.receivedAt !== undefined && s.receivedAt <= s.processedAt, `datagram ${s.index}`);
      const drift = s.receivedAt - first.receivedAt! - (s.sentAt - first.sentAt);
      worst = Math.max(worst, Math.abs(drift));
    }
    assert.ok(worst < 25, `receive times off the send times by up to ${worst.toFixed(2)} ms`);
    const receiveSpan = delayed[delayed.length - 1]!.receivedAt! - delayed[0]!.receivedAt!;
    const sendSpan = delayed[delayed.length - 1]!.sentAt - delayed[0]!.sentAt;
    assert.ok(
      receiveSpan >= sendSpan - 25 && receiveSpan >= (delayed.length - 1) * EVERY_MS * 0.5,
      `the delayed ones arrived over ${receiveSpan.toFixed(1)} ms (sent over ${sendSpan.toFixed(1)} ms)`,
    );
  });

  it('are absent through node:dgram (the processing time stands)', async () => {
    const before = process.env.TSRTC_NATIVE_RECV;
    process.env.TSRTC_NATIVE_RECV = '0';
    let result: Awaited<ReturnType<typeof receiveWithBlock>>;
    try {
      result = await receiveWithBlock();
    } finally {
      if (before === undefined) delete process.env.TSRTC_NATIVE_RECV;
      else process.env.TSRTC_NATIVE_RECV = before;
    }
    assert.equal(result.seen.length, COUNT);
    assert.equal(result.socket.batchedReceived, 0);
    assert.ok(result.seen.every((s) => s.receivedAt === undefined));
  });
});
