/** RFC 6455 framing: round trips, violations with their close codes, fuzz, and garbage over a real socket. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import {
  BYE,
  CLOSE_CODE,
  encodeFrame,
  OPCODE,
  SignalingError,
  type WebSocketFrame,
  WebSocketFrameParser,
  WebSocketSignaling,
} from '../../src/contrib/signaling/index.js';
import { Prng } from '../sim/network.js';

function parseAll(
  bytes: Uint8Array,
  expectMasked: boolean,
  maxFrameBytes = 1 << 20,
  chunk = bytes.byteLength,
) {
  const frames: WebSocketFrame[] = [];
  const violations: number[] = [];
  const p = new WebSocketFrameParser(
    { expectMasked, maxFrameBytes },
    (f) => frames.push(f),
    (c) => violations.push(c),
  );
  for (let i = 0; i < bytes.byteLength; i += Math.max(1, chunk))
    p.push(bytes.subarray(i, i + Math.max(1, chunk)));
  return { frames, violations };
}

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

describe('WebSocket frame codec', () => {
  it('RFC 6455 §5.7 examples: unmasked and masked "Hello"', () => {
    assert.deepEqual(
      [...encodeFrame(OPCODE.text, new TextEncoder().encode('Hello'))],
      [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    );
    const masked = encodeFrame(OPCODE.text, new TextEncoder().encode('Hello'), MASK);
    assert.deepEqual([...masked], [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    const { frames } = parseAll(masked, true);
    assert.equal(new TextDecoder().decode(frames[0]?.payload), 'Hello');
  });

  it('round-trips 7-bit, 16-bit and 64-bit lengths, byte by byte', () => {
    for (const size of [0, 125, 126, 65535, 65536, 70000]) {
      const payload = new Uint8Array(size).map((_, i) => i & 0xff);
      const wire = new Uint8Array([
        ...encodeFrame(OPCODE.binary, payload, MASK),
        ...encodeFrame(OPCODE.ping, payload.subarray(0, 3), MASK),
      ]);
      const { frames, violations } = parseAll(wire, true, 1 << 20, size > 1000 ? 997 : 1);
      assert.deepEqual(violations, []);
      assert.equal(frames.length, 2);
      assert.deepEqual(frames[0]?.payload, payload);
      assert.equal(frames[1]?.opcode, OPCODE.ping);
    }
  });

  it('reports violations with the right close code and stops', () => {
    const hello = new TextEncoder().encode('hi');
    const cases: [Uint8Array, boolean, number][] = [
      [encodeFrame(OPCODE.text, hello), true, CLOSE_CODE.protocolError], // client frame not masked
      [encodeFrame(OPCODE.text, hello, MASK), false, CLOSE_CODE.protocolError], // server frame masked
      [new Uint8Array([0xc1, 0x00]), false, CLOSE_CODE.protocolError], // RSV1
      [new Uint8Array([0x83, 0x00]), false, CLOSE_CODE.protocolError], // opcode 3
      [new Uint8Array([0x09, 0x00]), false, CLOSE_CODE.protocolError], // fragmented ping
      [new Uint8Array([0x89, 0x7e, 0x00, 0x7e]), false, CLOSE_CODE.protocolError], // 126-byte ping
      [new Uint8Array([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]), false, CLOSE_CODE.protocolError], // top bit
      [new Uint8Array([0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0]), false, CLOSE_CODE.tooBig],
      [encodeFrame(OPCODE.text, new Uint8Array(2000)), false, CLOSE_CODE.tooBig],
    ];
    for (const [wire, expectMasked, code] of cases) {
      const { frames, violations } = parseAll(
        new Uint8Array([...wire, ...encodeFrame(OPCODE.text, hello)]),
        expectMasked,
        1000,
      );
      assert.deepEqual(violations, [code]);
      assert.equal(frames.length, 0);
    }
  });

  it('fuzz: random and mutated bytes never throw, and at most one violation is reported', () => {
    const prng = new Prng(6455);
    const valid = encodeFrame(OPCODE.text, new TextEncoder().encode('{"type": "bye"}'), MASK);
    const validFromServer = encodeFrame(OPCODE.text, new TextEncoder().encode('{"type": "bye"}'));
    let violated = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes =
        i % 2 === 0
          ? new Uint8Array(1 + prng.int(64)).map(() => prng.int(256))
          : (i % 3 === 0 ? valid : validFromServer).map((b) => (prng.int(8) === 0 ? prng.int(256) : b));
      const { violations } = parseAll(bytes, i % 3 === 0, 4096, 1 + prng.int(8));
      assert.ok(violations.length <= 1);
      violated += violations.length;
    }
    assert.ok(violated > 5000, `violations ${violated}`);
  });
});

/** A raw TCP client that performed a valid upgrade; returns the socket and everything the server sends. */
async function rawClient(
  port: number,
): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const key = Buffer.alloc(16, 7).toString('base64');
  let buf = Buffer.alloc(0);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const attempt = (): void => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', (e: NodeJS.ErrnoException) =>
        e.code === 'ECONNREFUSED' ? setTimeout(attempt, 50) : reject(e),
      );
    };
    attempt();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  for (let i = 0; i < 200 && !buf.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
  const head = buf.toString('latin1');
  assert.match(head, /^HTTP\/1\.1 101 /);
  assert.ok(head.includes(`Sec-WebSocket-Accept: ${accept}`));
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  return { socket, received: () => buf, closed };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('WebSocketSignaling server against a raw client', () => {
  it('answers ping with pong, delivers text messages, and reads a close as BYE', async () => {
    const port = await freePort();
    const server = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    await server.connect();
    const client = await rawClient(port);
    try {
      client.socket.write(encodeFrame(OPCODE.ping, new Uint8Array([1, 2]), MASK));
      // A message split in two fragments with a ping in between (allowed by §5.4).
      client.socket.write(encodeFrame(OPCODE.text, new TextEncoder().encode('{"type": '), MASK, false));
      client.socket.write(encodeFrame(OPCODE.ping, new Uint8Array(0), MASK));
      client.socket.write(encodeFrame(OPCODE.continuation, new TextEncoder().encode('"bye"}'), MASK));
      assert.equal(await server.receive(), BYE);
      for (let i = 0; i < 500 && client.received().byteLength < 8; i++)
        await new Promise((r) => setTimeout(r, 10));
      const got = client.received();
      assert.deepEqual([...got.subarray(0, 6)], [0x8a, 0x02, 1, 2, 0x8a, 0x00]); // pongs, unmasked, same payloads
      client.socket.write(encodeFrame(OPCODE.close, new Uint8Array([0x03, 0xe8]), MASK));
      await client.closed;
      assert.equal(await server.receive(), BYE);
    } finally {
      client.socket.destroy();
      await server.close();
    }
  });

  it('garbage frames close the connection with a close frame; receive() reports it, nothing throws', async () => {
    const prng = new Prng(99);
    for (let round = 0; round < 5; round++) {
      const port = await freePort();
      const server = new WebSocketSignaling('127.0.0.1', port, { role: 'server', maxMessageBytes: 4096 });
      await server.connect();
      const client = await rawClient(port);
      try {
        // Unmasked garbage from a client is always a violation (§5.1), whatever the random bytes say.
        const garbage = new Uint8Array(200).map(() => prng.int(256));
        garbage[1] = (garbage[1] as number) & 0x7f;
        client.socket.write(garbage);
        await client.closed;
        const reply = client.received();
        assert.equal((reply[0] as number) & 0x0f, OPCODE.close, 'server sent a close frame');
        const outcome = await server.receive().then(
          (obj) => obj,
          (e: unknown) => e,
        );
        assert.ok(outcome instanceof SignalingError || outcome === BYE, String(outcome));
        assert.equal(await server.receive(), BYE);
      } finally {
        client.socket.destroy();
        await server.close();
      }
    }
  });
});
