/**
 * Every signaling channel carries a real offer/answer between two tsrtc peers in one process (loopback only),
 * then BYE; the socket channels also survive malformed and oversized lines from a raw client.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  BYE,
  CopyAndPasteSignaling,
  consumeSignaling,
  createSignaling,
  DescriptionSender,
  type Signaling,
  SignalingError,
  signalingArgs,
  TcpSocketSignaling,
  UnixSocketSignaling,
  WebSocketSignaling,
} from '../../src/contrib/signaling/index.js';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

const dir = mkdtempSync(join(tmpdir(), 'tsrtc-signaling-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The two halves of aiortc's datachannel-cli, reduced to one message each way. */
async function pingPongOver(offerSide: Signaling, answerSide: Signaling, trickle: boolean): Promise<void> {
  const offerer = new RTCPeerConnection({ iceLoopbackOnly: true });
  const answerer = new RTCPeerConnection({ iceLoopbackOnly: true });
  try {
    const answered = (async () => {
      await answerSide.connect();
      const sender = new DescriptionSender(answerer, answerSide, trickle);
      answerer.ondatachannel = (e) => {
        e.channel.onmessage = (m) => e.channel.send(`pong ${String(m.data).slice(5)}`);
      };
      await consumeSignaling(answerer, answerSide, sender);
    })();
    await offerSide.connect();
    const channel: RTCDataChannel = offerer.createDataChannel('chat');
    const sender = new DescriptionSender(offerer, offerSide, trickle);
    const pong = new Promise<string>((resolve) => {
      channel.onmessage = (m) => resolve(String(m.data));
    });
    channel.onopen = () => channel.send('ping 42');
    await offerer.setLocalDescription();
    await sender.send();
    const consumed = consumeSignaling(offerer, offerSide, sender, { stop: pong.then(() => undefined) });
    assert.equal(await withTimeout(pong, 'pong'), 'pong 42');
    await withTimeout(consumed, 'offer side stops');
    assert.equal(offerer.connectionState, 'connected');
    assert.equal(offerer.remoteDescription?.type, 'answer');
    if (!trickle) assert.match(offerer.remoteDescription?.sdp ?? '', /a=candidate:.* 127\.0\.0\.1 /);
    await offerSide.close(); // sends BYE: the answer side's loop ends
    await withTimeout(answered, 'answer side sees BYE');
  } finally {
    await offerSide.close();
    await answerSide.close();
    await offerer.close();
    await answerer.close();
  }
}

function crossedCopyAndPaste(): [CopyAndPasteSignaling, CopyAndPasteSignaling] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const prompts = new PassThrough();
  prompts.resume();
  return [
    new CopyAndPasteSignaling({ input: bToA, output: aToB, prompts }),
    new CopyAndPasteSignaling({ input: aToB, output: bToA, prompts }),
  ];
}

describe('signaling channels carry offer/answer between two tsrtc peers', () => {
  it('copy-and-paste (crossed streams), non-trickle', async () => {
    const [a, b] = crossedCopyAndPaste();
    await pingPongOver(a, b, false);
  });

  it('tcp-socket, aiortc role rule (first sender serves), non-trickle and trickle', async () => {
    for (const trickle of [false, true]) {
      const port = await freePort();
      await pingPongOver(
        new TcpSocketSignaling('127.0.0.1', port),
        new TcpSocketSignaling('127.0.0.1', port),
        trickle,
      );
    }
  });

  it('unix-socket, and the socket file is gone afterwards', async () => {
    const path = join(dir, 'u.sock');
    await pingPongOver(new UnixSocketSignaling(path), new UnixSocketSignaling(path), true);
    assert.equal(existsSync(path), false);
  });

  it('websocket: explicit server and client, and the auto role from createSignaling', async () => {
    const port = await freePort();
    const server = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    const client = new WebSocketSignaling('127.0.0.1', port, { role: 'client', path: '/room' });
    // The answering side serves here: the client sends the offer first.
    await server.connect();
    assert.equal(server.listeningPort, port);
    await pingPongOver(client, server, false);
    const port2 = await freePort();
    const args = ['-s', 'websocket', '--signaling-port', String(port2)];
    await pingPongOver(createSignaling(signalingArgs(args)), createSignaling(signalingArgs(args)), true);
  });
});

describe('signaling arguments', () => {
  it('parses aiortc-style options with defaults and refuses bad values', () => {
    assert.deepEqual(signalingArgs([]), {
      signaling: 'copy-and-paste',
      host: '127.0.0.1',
      port: 1234,
      path: 'tsrtc.socket',
    });
    assert.deepEqual(
      signalingArgs(['offer', '-s', 'unix-socket', '--signaling-path', '/x', '--count', '3']),
      {
        signaling: 'unix-socket',
        host: '127.0.0.1',
        port: 1234,
        path: '/x',
      },
    );
    assert.ok(createSignaling(signalingArgs(['-s', 'tcp-socket'])) instanceof TcpSocketSignaling);
    assert.throws(() => signalingArgs(['-s', 'carrier-pigeon']), /--signaling must be one of/);
    assert.throws(() => signalingArgs(['--signaling-port', '70000']), /--signaling-port/);
    assert.throws(() => signalingArgs(['--signaling-port', 'x']), /--signaling-port/);
  });
});

describe('socket signaling with a misbehaving peer', () => {
  it('a malformed line and an oversized line are reported, and the next message still arrives', async () => {
    const port = await freePort();
    const signaling = new TcpSocketSignaling('127.0.0.1', port, { role: 'server', maxMessageBytes: 1024 });
    const serving = signaling.connect();
    const raw = await new Promise<Socket>((resolve, reject) => {
      const tryConnect = (): void => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', (e: NodeJS.ErrnoException) =>
          e.code === 'ECONNREFUSED' ? setTimeout(tryConnect, 50) : reject(e),
        );
      };
      tryConnect();
    });
    await serving;
    raw.write('{"type": "nope"}\n');
    raw.write(`${'x'.repeat(5000)}\n`);
    raw.write('{"type": "bye"}\n');
    try {
      await assert.rejects(
        signaling.receive(),
        (e: unknown) => e instanceof SignalingError && /unknown type/.test(e.message),
      );
      await assert.rejects(
        signaling.receive(),
        (e: unknown) => e instanceof SignalingError && e.code === 'oversize',
      );
      assert.equal(await signaling.receive(), BYE);
      raw.end();
      assert.equal(await withTimeout(signaling.receive(), 'end of stream reads as BYE'), BYE);
    } finally {
      raw.destroy();
      await signaling.close();
    }
  });

  it('a port already in use fails connect() or send() with an error, not a crash', async () => {
    const port = await freePort();
    const first = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    await first.connect();
    const second = new WebSocketSignaling('127.0.0.1', port, { role: 'server' });
    await assert.rejects(second.connect(), /EADDRINUSE/);
    const tcpFirst = new TcpSocketSignaling('127.0.0.1', port);
    await assert.rejects(tcpFirst.send(BYE), /EADDRINUSE/);
    await Promise.all([first.close(), second.close(), tcpFirst.close()]);
  });

  it('dialing gives up with a SignalingError after its timeout', async () => {
    const port = await freePort();
    const signaling = new TcpSocketSignaling('127.0.0.1', port, { role: 'client', connectTimeoutMs: 300 });
    await assert.rejects(
      signaling.connect(),
      (e: unknown) => e instanceof SignalingError && e.code === 'connection',
    );
    await signaling.close();
  });
});
