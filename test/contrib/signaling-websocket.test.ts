/**
 * WebSocketSignaling on the wire, against a raw RFC 6455 client written here (so the test does not trust the
 * library it checks): ping/pong, a fragmented message, the close handshake, binary and oversized messages,
 * garbage, a second peer, plain HTTP, and the optional `ws` package missing. Loopback only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { BYE, SignalingError, WebSocketSignaling } from '../../src/contrib/signaling/index.js';
import { Prng } from '../sim/network.js';

const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;
const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

/** One client frame (masked, as RFC 6455 §5.1 requires of clients). */
function frame(opcode: number, payload: Uint8Array | string, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const n = data.byteLength;
  const header =
    n < 126
      ? [n | 0x80]
      : n < 0x10000
        ? [126 | 0x80, n >> 8, n & 0xff]
        : [127 | 0x80, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const masked = data.map((b, i) => b ^ MASK[i & 3]!);
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, ...header]), MASK, masked]);
}

/** A raw TCP client that performed a valid upgrade; returns the socket and everything the server sends. */
async function rawClient(
  port: number,
  path = '/',
): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void>; status: string }> {
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
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  for (let i = 0; i < 200 && !buf.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 10));
  const head = buf.subarray(0, buf.indexOf('\r\n\r\n')).toString('latin1');
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  if (head.startsWith('HTTP/1.1 101 ')) assert.ok(head.includes(`Sec-WebSocket-Accept: ${accept}`));
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  return { socket, received: () => buf, closed, status: head.split('\r\n')[0]! };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** The close code of the first close frame the server sent, or null. */
function closeCode(bytes: Buffer): number | null {
  let offset = 0;
  while (offset + 2 <= bytes.byteLength) {
    const opcode = bytes[offset]! & 0x0f;
    const length = bytes[offset + 1]! & 0x7f;
    if (opcode === OP.close) return length >= 2 ? bytes.readUInt16BE(offset + 2) : 1005;
    offset += 2 + length;
  }
  return null;
}

describe('WebSocketSignaling server against a raw client', () => {
  it('answers ping with pong, delivers a fragmented message, and reads a close as BYE', async () => {
    const port = await freePort();
    const server = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    await server.connect();
    const client = await rawClient(port);
    try {
      assert.equal(client.status, 'HTTP/1.1 101 Switching Protocols');
      client.socket.write(frame(OP.ping, new Uint8Array([1, 2])));
      // A message split in two fragments with a ping in between (allowed by §5.4).
      client.socket.write(frame(OP.text, '{"type": ', false));
      client.socket.write(frame(OP.ping, new Uint8Array(0)));
      client.socket.write(frame(OP.continuation, '"bye"}'));
      assert.equal(await server.receive(), BYE);
      await waitFor(() => client.received().byteLength >= 6);
      assert.deepEqual([...client.received().subarray(0, 6)], [0x8a, 0x02, 1, 2, 0x8a, 0x00]); // unmasked pongs
      client.socket.write(frame(OP.close, new Uint8Array([0x03, 0xe8])));
      await client.closed;
      assert.equal(await server.receive(), BYE);
    } finally {
      client.socket.destroy();
      await server.close();
    }
  });

  it('a binary message closes with 1003, an oversized one with 1009; receive() reports it once, then BYE', async () => {
    for (const [payload, code] of [
      [frame(OP.binary, new Uint8Array([1, 2, 3])), 1003],
      [frame(OP.text, 'x'.repeat(5000)), 1009],
    ] as const) {
      const port = await freePort();
      const server = new WebSocketSignaling('127.0.0.1', port, { role: 'server', maxMessageBytes: 4096 });
      await server.connect();
      const client = await rawClient(port);
      try {
        client.socket.write(payload);
        await assert.rejects(
          server.receive(),
          (e: unknown) => e instanceof SignalingError && e.code === 'connection',
        );
        await waitFor(() => closeCode(client.received()) !== null);
        assert.equal(closeCode(client.received()), code);
        // The client answers the close frame (RFC 6455 §5.5.1): without it ws waits out its 30 s close timeout.
        client.socket.write(frame(OP.close, new Uint8Array([code >> 8, code & 0xff])));
        assert.equal(await server.receive(), BYE);
      } finally {
        client.socket.destroy();
        await server.close();
      }
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
        garbage[1] = garbage[1]! & 0x7f;
        client.socket.write(garbage);
        await client.closed;
        assert.equal(client.received()[0]! & 0x0f, OP.close, 'server sent a close frame');
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

  it('plain HTTP is told to upgrade (426); after the one peer is in, nobody else gets through', async () => {
    const port = await freePort();
    const server = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    await server.connect();
    const http = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let text = '';
      s.on('data', (d) => {
        text += d.toString();
      });
      s.on('close', () => resolve(text));
      s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    assert.match(http, /^HTTP\/1\.1 426 /);
    const peer = await rawClient(port);
    try {
      assert.equal(peer.status, 'HTTP/1.1 101 Switching Protocols');
      const second = await new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve('connected'));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      assert.equal(second, 'ECONNREFUSED');
    } finally {
      peer.socket.destroy();
      await server.close();
    }
  });

  it('a client that sends first through a server of its own: text both ways, then bye', async () => {
    const port = await freePort();
    const a = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    const b = new WebSocketSignaling('127.0.0.1', port, { role: 'client', path: '/room' });
    await a.connect();
    await b.connect();
    await b.close();
    assert.equal(await a.receive(), BYE);
    await a.close();
  });
});

describe('WebSocketSignaling client closed while its dial is under way', () => {
  it('closes the connection that opens after close() and rejects receive() (no socket outlives close)', async () => {
    // A raw server that holds its 101 until the client has been closed: the dial is then still under way.
    let upgraded: (request: { socket: Socket; head: string }) => void = () => undefined;
    const upgradeRequest = new Promise<{ socket: Socket; head: string }>((resolve) => {
      upgraded = resolve;
    });
    const server = createServer((socket) => {
      let head = '';
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) upgraded({ socket, head });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client = new WebSocketSignaling('127.0.0.1', port, { role: 'client' });
    const timers: NodeJS.Timeout[] = [];
    let raw: Socket | undefined;
    const within = <T>(p: Promise<T>, what: string): Promise<T | string> =>
      Promise.race([
        p,
        new Promise<string>((resolve) => {
          timers.push(setTimeout(() => resolve(`${what} not within 5 s`), 5000));
        }),
      ]);
    try {
      const received = client.receive().then(
        (value) => value,
        (e: unknown) => e,
      );
      const { socket, head } = await upgradeRequest;
      raw = socket;
      await client.close();
      let frames = Buffer.alloc(0);
      const closeFrame = new Promise<string>((resolve) => {
        socket.on('data', (d: Buffer) => {
          frames = Buffer.concat([frames, d]);
          if ((frames[0]! & 0x0f) === OP.close) resolve('close frame');
        });
      });
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(head)?.[1] ?? '';
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      // The connection that opened after close() is closed by the client at once (before, it stayed open).
      assert.equal(await within(closeFrame, 'a close frame from the client'), 'close frame');
      const outcome = await within(received, 'receive() settling');
      assert.ok(outcome instanceof SignalingError, `expected a SignalingError, got ${String(outcome)}`);
      assert.equal(outcome.code, 'connection');
    } finally {
      for (const t of timers) clearTimeout(t);
      raw?.destroy(); // on a failure too: an open client would keep the test process alive
      server.close();
    }
  });
});

describe('WebSocketSignaling server closed before it is listening', () => {
  it('never listens: connect() rejects, and the port stays free', async () => {
    const port = await freePort();
    const signaling = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    const connecting = signaling.connect().then(
      () => 'listening',
      (e: unknown) => e,
    );
    await signaling.close(); // before ws has loaded and the port is bound
    const outcome = await connecting;
    assert.ok(outcome instanceof SignalingError, `expected a SignalingError, got ${String(outcome)}`);
    assert.equal(outcome.code, 'connection');
    // Before, the listener came up after close() and held the port (and the process) for good.
    const other = createServer();
    await new Promise<void>((resolve, reject) => {
      other.once('error', reject);
      other.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => other.close(resolve));
  });
});

describe('WebSocketSignaling server closed while it is listening for its peer', () => {
  it('rejects the pending send() with a connection error, and the port is free again', async () => {
    const signaling = new WebSocketSignaling('127.0.0.1', 0, { role: 'server' });
    let timer: NodeJS.Timeout | undefined;
    try {
      await signaling.connect(); // listening; no peer yet
      const port = signaling.listeningPort;
      assert.ok(port, 'listening on a port');
      const sending = signaling.send(BYE).then(
        () => 'sent',
        (e: unknown) => e,
      );
      await signaling.close();
      const outcome = await Promise.race([
        sending,
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('still pending 5 s after close()'), 5000);
        }),
      ]);
      assert.ok(outcome instanceof SignalingError, `expected a SignalingError, got ${String(outcome)}`);
      assert.equal(outcome.code, 'connection');
      assert.equal(outcome.message, 'signaling is closed');
      // The listener is gone with close(): the port can be bound again.
      const other = createServer();
      await new Promise<void>((resolve, reject) => {
        other.once('error', reject);
        other.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise((resolve) => other.close(resolve));
    } finally {
      clearTimeout(timer);
    }
  });
});

describe('without the ws package', () => {
  it('WebSocket signaling says which package to install; the other channels load fine', () => {
    const blockWs = `data:text/javascript,${encodeURIComponent(`
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(\`
        export async function resolve(specifier, context, next) {
          if (specifier === 'ws') { const e = new Error("Cannot find package 'ws'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; }
          return next(specifier, context);
        }\`));
    `)}`;
    const script = `
      const s = await import('./src/contrib/signaling/index.ts');
      const ws = new s.WebSocketSignaling('127.0.0.1', 1, { role: 'client', connectTimeoutMs: 10 });
      let out;
      try { await ws.connect(); } catch (e) { out = e.name + ': ' + e.message; }
      console.log(JSON.stringify({ out, tcp: typeof s.TcpSocketSignaling }));
    `;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', blockWs, '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { out: string; tcp: string };
    assert.match(result.out, /^SignalingError: WebSocket signaling needs the optional package 'ws'/);
    assert.equal(result.tcp, 'function');
  });
});
