/**
 * consumeSignaling on a channel that cannot connect: it rejects with the channel's SignalingError. It used to
 * report the error as a bad message and call receive() again, which rejected again at once: a busy loop that
 * printed "signaling connect failed … (ignored)" forever (found by videostream-cli answering before its peer
 * listened for longer than the dial timeout).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import {
  consumeSignaling,
  DescriptionSender,
  SignalingError,
  TcpSocketSignaling,
} from '../../src/contrib/signaling/index.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('consumeSignaling when the channel cannot connect', () => {
  it('rejects with the connection error once, without retrying receive() in a loop', async () => {
    const signaling = new TcpSocketSignaling('127.0.0.1', await closedPort(), { connectTimeoutMs: 200 });
    // The old loop never yielded to the event loop (each receive() rejected at once): break it after 100 calls
    // so that the test fails instead of hanging.
    let receives = 0;
    const receive = signaling.receive.bind(signaling);
    signaling.receive = () => {
      if (++receives > 100) return Promise.reject(new Error('receive() called in a loop'));
      return receive();
    };
    const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
    const reports: SignalingError[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        consumeSignaling(pc, signaling, new DescriptionSender(pc, signaling, false), {
          onSignalingError: (e) => reports.push(e),
        }).then(
          () => 'resolved',
          (e: unknown) => e,
        ),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('still running'), 5000);
        }),
      ]);
      assert.ok(outcome instanceof SignalingError, `expected a SignalingError, got ${String(outcome)}`);
      assert.equal(outcome.code, 'connection');
      assert.equal(reports.length, 0, 'a connection failure is not reported as a bad message');
      assert.equal(receives, 1);
    } finally {
      clearTimeout(timer);
      pc.close();
      await signaling.close();
    }
  });
});

describe('TcpSocketSignaling closed while it is still dialing', () => {
  it('drops the connection its dial makes after close() and rejects receive() (no socket outlives close)', async () => {
    const server = createServer();
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const signaling = new TcpSocketSignaling('127.0.0.1', port, { role: 'client' });
    let timer: NodeJS.Timeout | undefined;
    try {
      // receive() dials; close() comes before the connection is up, and the dial then succeeds.
      const received = signaling.receive().then(
        (value) => value,
        (e: unknown) => e,
      );
      await signaling.close();
      const outcome = await received;
      assert.ok(outcome instanceof SignalingError, `expected a SignalingError, got ${String(outcome)}`);
      assert.equal(outcome.code, 'connection');
      // The server side sees the connection end: a socket left open by the closed channel never would.
      const [socket] = await accepted;
      const ended = await Promise.race([
        once(socket, 'close').then(() => 'closed'),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('still open after 5 s'), 5000);
        }),
      ]);
      assert.equal(ended, 'closed');
    } finally {
      clearTimeout(timer);
      server.close();
    }
  });
});

describe('TcpSocketSignaling closed while it is listening for its peer', () => {
  it('rejects the pending connect() with a connection error instead of leaving it pending forever', async () => {
    const signaling = new TcpSocketSignaling('127.0.0.1', await closedPort(), { role: 'server' });
    let timer: NodeJS.Timeout | undefined;
    try {
      const connecting = signaling.connect().then(
        () => 'connected',
        (e: unknown) => e,
      );
      await signaling.close();
      const outcome = await Promise.race([
        connecting,
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('still pending 5 s after close()'), 5000);
        }),
      ]);
      assert.ok(outcome instanceof SignalingError, `expected a SignalingError, got ${String(outcome)}`);
      assert.equal(outcome.code, 'connection');
    } finally {
      clearTimeout(timer);
    }
  });
});
