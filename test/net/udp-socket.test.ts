/**
 * The runtime's UDP socket: sends are synchronous or batched within one turn (sendmmsg through the native
 * addon on Linux), in order and intact either way, and a datagram sent right before close() still leaves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nativeAddon } from '../../src/common/native.js';
import { UdpSocket } from '../../src/net/udp-socket.js';

async function receiver(): Promise<{ socket: UdpSocket; got: Uint8Array[] }> {
  const socket = await UdpSocket.bind('127.0.0.1');
  const got: Uint8Array[] = [];
  socket.onMessage = (d) => got.push(d.slice());
  return { socket, got };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

describe('UdpSocket', () => {
  it('sends a burst of one turn in order and intact (batched when the native addon is there)', async () => {
    const a = await UdpSocket.bind('127.0.0.1');
    const b = await receiver();
    try {
      const n = 1000;
      for (let i = 0; i < n; i++) {
        const d = new Uint8Array(1 + (i % 1200));
        d[0] = i & 0xff;
        d.fill((i * 7) & 0xff, 1);
        a.send(d, b.socket.local);
      }
      await until(() => b.got.length === n);
      assert.equal(b.got.length, n);
      b.got.forEach((d, i) => {
        assert.equal(d.byteLength, 1 + (i % 1200));
        assert.equal(d[0], i & 0xff);
        if (d.byteLength > 1) assert.equal(d[d.byteLength - 1], (i * 7) & 0xff);
      });
      if (nativeAddon()?.udpSendBatch) assert.ok(a.batchedDatagrams > 0, 'sendmmsg was used');
      else assert.equal(a.batchedDatagrams, 0);
    } finally {
      a.close();
      b.socket.close();
    }
  });

  it('a datagram sent right before close() still leaves', async () => {
    const a = await UdpSocket.bind('127.0.0.1');
    const b = await receiver();
    try {
      a.send(Uint8Array.of(1, 2, 3), b.socket.local);
      a.close();
      await until(() => b.got.length === 1);
      assert.deepEqual([...b.got[0]!], [1, 2, 3]);
    } finally {
      b.socket.close();
    }
  });

  it('keeps the order when destinations alternate', async () => {
    const a = await UdpSocket.bind('127.0.0.1');
    const b = await receiver();
    const c = await receiver();
    try {
      for (let i = 0; i < 100; i++) a.send(Uint8Array.of(i), i % 3 === 0 ? c.socket.local : b.socket.local);
      await until(() => b.got.length + c.got.length === 100);
      assert.deepEqual(
        b.got.map((d) => d[0]),
        [...Array(100).keys()].filter((i) => i % 3 !== 0),
      );
      assert.deepEqual(
        c.got.map((d) => d[0]),
        [...Array(100).keys()].filter((i) => i % 3 === 0),
      );
    } finally {
      a.close();
      b.socket.close();
      c.socket.close();
    }
  });
});
