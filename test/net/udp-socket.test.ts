/**
 * The runtime's UDP socket: sends are synchronous or batched within one turn (sendmmsg through the native
 * addon on Linux), in order and intact either way, and a datagram sent right before close() still leaves.
 * Receives are node:dgram's or batched (recvmmsg through the addon): every datagram intact, in order, with
 * its own source, up to the largest UDP allows; views stay valid; close() inside a batch stops delivery.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
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

  it('sends runs of equal-sized datagrams (one GSO send each with the addon) as the same datagrams', async () => {
    const a = await UdpSocket.bind('127.0.0.1');
    const b = await receiver();
    try {
      // Runs of one size closed by a shorter one (a message's fragments), a run longer than one GSO send
      // may carry, empty datagrams, sizes over the GSO segment limit, and single datagrams between.
      const sizes = [
        ...Array(10).fill(1200),
        500,
        ...Array(5).fill(1200),
        0,
        ...Array(70).fill(1000),
        999,
        1000,
        ...Array(3).fill(1472),
        1473,
        1473,
        ...Array(4).fill(9000),
        1,
        1,
        1,
        ...Array(60).fill(1100),
      ];
      sizes.forEach((size, i) => {
        const d = new Uint8Array(size);
        for (let k = 0; k < size; k++) d[k] = (i * 31 + k) & 0xff;
        a.send(d, b.socket.local);
      });
      await until(() => b.got.length === sizes.length);
      assert.equal(b.got.length, sizes.length);
      b.got.forEach((d, i) => {
        assert.equal(d.byteLength, sizes[i], `datagram ${i}`);
        for (let k = 0; k < d.byteLength; k++)
          assert.equal(d[k], (i * 31 + k) & 0xff, `datagram ${i} byte ${k}`);
      });
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

  for (const reader of ['native when present', 'node:dgram'] as const)
    it(`receives bursts intact and in order, up to the largest datagram, with each source (${reader})`, async () => {
      const forceDgram = reader === 'node:dgram';
      if (forceDgram) process.env.TSRTC_NATIVE_RECV = '0';
      let b: Awaited<ReturnType<typeof receiver>>;
      try {
        b = await receiver();
      } finally {
        if (forceDgram) delete process.env.TSRTC_NATIVE_RECV;
      }
      const sources: string[] = [];
      b.socket.onMessage = (d, from) => {
        b.got.push(d); // views kept as delivered: later batches must not overwrite them
        sources.push(`${from.address}:${from.port}`);
      };
      const x = await UdpSocket.bind('127.0.0.1');
      const y = await UdpSocket.bind('127.0.0.1');
      try {
        const sizes = [1, 1200, 65507, 0, 9000, 1500, 2049, 17];
        const n = 600;
        const expected: { size: number; tag: number; fill: number; from: string }[] = [];
        for (let i = 0; i < n; i++) {
          const size = i < sizes.length ? sizes[i]! : 1 + ((i * 37) % 1400);
          const fill = (i * 13) & 0xff;
          const d = new Uint8Array(size).fill(fill);
          if (size > 0) d[0] = i & 0xff;
          const sender = i % 5 === 0 ? y : x;
          sender.send(d, b.socket.local);
          const from = `127.0.0.1:${sender.local.port}`;
          expected.push({ size, tag: i & 0xff, fill, from });
          // a few turns so the receiver sees batches of different sizes
          if (i % 150 === 149) await new Promise((r) => setImmediate(r));
        }
        await until(() => b.got.length === n);
        // x and y each keep their order; together the receiver may interleave their batches
        for (const sender of [x, y]) {
          const from = `127.0.0.1:${sender.local.port}`;
          const want = expected.filter((e) => e.from === from);
          const got = b.got.filter((_, i) => sources[i] === from);
          assert.equal(got.length, want.length, `datagrams from ${from}`);
          got.forEach((d, i) => {
            assert.equal(d.byteLength, want[i]!.size, `size of datagram ${i} from ${from}`);
            if (d.byteLength > 0) assert.equal(d[0], want[i]!.tag);
            if (d.byteLength > 1) assert.equal(d[d.byteLength - 1], want[i]!.fill);
          });
        }
        const nativeReceive = !forceDgram && nativeAddon()?.udpRecvStart !== undefined;
        if (nativeReceive) assert.equal(b.socket.batchedReceived, n, 'every datagram came through recvmmsg');
        else assert.equal(b.socket.batchedReceived, 0);
      } finally {
        x.close();
        y.close();
        b.socket.close();
      }
    });

  it('receives over IPv6 with the address as node:dgram writes it', async () => {
    const a = await UdpSocket.bind('::1');
    const b = await UdpSocket.bind('::1');
    const got: string[] = [];
    b.onMessage = (d, from) => got.push(`${from.address} ${from.port} ${d.byteLength}`);
    try {
      for (let i = 0; i < 3; i++) a.send(new Uint8Array(100 + i), b.local);
      await until(() => got.length === 3);
      assert.deepEqual(
        got,
        [0, 1, 2].map((i) => `::1 ${a.local.port} ${100 + i}`),
      );
    } finally {
      a.close();
      b.close();
    }
  });

  it('close() inside a batch stops delivery, and the port is free afterwards', async () => {
    const b = await UdpSocket.bind('127.0.0.1');
    const port = b.local.port;
    let delivered = 0;
    b.onMessage = () => {
      delivered++;
      if (delivered === 3) b.close();
    };
    const raw = createSocket('udp4');
    try {
      for (let i = 0; i < 20; i++) raw.send(Uint8Array.of(i), port, '127.0.0.1');
      await until(() => delivered >= 3);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(delivered, 3);
      // Both descriptors (node:dgram's and the native reader's duplicate) are closed: the port binds again.
      const again = await UdpSocket.bind('127.0.0.1', port);
      again.close();
    } finally {
      raw.close();
    }
  });
});
