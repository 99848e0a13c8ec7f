/**
 * Datagrams from addresses ICE never validated reach no layer above ICE: a stranger sending plaintext DTLS
 * alerts (fatal and close_notify) and ClientHellos to both peers' sockets while they connect, from another
 * port on loopback, changes nothing. Real sockets (the simulated case is in sim-connection.test.ts).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { deadPeerRuntime } from '../interop/lossy-runtime.js';

const config = { iceLoopbackOnly: true };

function alert(level: number, description: number): Buffer {
  return Buffer.from([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, level, description]);
}

/** A record that looks like a ClientHello header (handshake, epoch 0): a DTLS client must not act on it. */
function clientHelloish(): Buffer {
  const body = Buffer.alloc(60, 0);
  body[0] = 1; // client_hello
  return Buffer.concat([Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, body.length]), body]);
}

function ports(sdp: string): number[] {
  return [...sdp.matchAll(/candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+)/g)].map((m) => Number(m[1]));
}

describe('RTCPeerConnection ignores spoofed datagrams', () => {
  it('connects while a stranger sends DTLS alerts and ClientHellos to both peers during the handshake', async () => {
    const a = new RTCPeerConnection(config);
    const b = new RTCPeerConnection(config);
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', r));
    const targets: number[] = [];
    let sent = 0;
    const flood = setInterval(() => {
      for (const port of targets) {
        for (const d of [alert(2, 40), alert(1, 0), clientHelloish()]) {
          stranger.send(d, port, '127.0.0.1');
          sent++;
        }
      }
    }, 1);
    try {
      a.onicecandidate = (e) => void b.addIceCandidate(e.candidate).catch(() => undefined);
      b.onicecandidate = (e) => void a.addIceCandidate(e.candidate).catch(() => undefined);
      const channel = a.createDataChannel('x');
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      // Candidates gathered (a few ms; a fixed wait can end before on a loaded machine).
      const gathered = Date.now() + 20_000;
      while (
        (a.iceGatheringState !== 'complete' || b.iceGatheringState !== 'complete') &&
        Date.now() < gathered
      )
        await new Promise((r) => setTimeout(r, 5));
      targets.push(...ports(a.localDescription!.sdp), ...ports(b.localDescription!.sdp));
      assert.ok(targets.length >= 2, 'both peers have loopback candidates');
      await a.setRemoteDescription(b.localDescription!);
      const deadline = Date.now() + 10_000;
      while (channel.readyState !== 'open' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      assert.equal(channel.readyState, 'open');
      assert.equal(a.connectionState, 'connected');
      assert.equal(b.connectionState, 'connected');
      assert.ok(sent > 0, 'the stranger sent during the handshake');
    } finally {
      clearInterval(flood);
      stranger.close();
      a.close();
      b.close();
    }
  });
});

describe('RTCPeerConnection notices a dead peer (real sockets)', () => {
  it('turns disconnected, then failed, and closes its channels with an error', async () => {
    let dead = false;
    const timeouts = { iceLoopbackOnly: true, iceDisconnectedTimeout: 1000, iceFailedTimeout: 3000 };
    const a = new RTCPeerConnection(timeouts, { runtime: deadPeerRuntime(() => dead) });
    const b = new RTCPeerConnection(config);
    try {
      a.onicecandidate = (e) => void b.addIceCandidate(e.candidate).catch(() => undefined);
      b.onicecandidate = (e) => void a.addIceCandidate(e.candidate).catch(() => undefined);
      const channel = a.createDataChannel('x');
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      const until = async (check: () => boolean, ms: number): Promise<number> => {
        const start = Date.now();
        while (!check()) {
          if (Date.now() - start > ms) throw new Error('timed out');
          await new Promise((r) => setTimeout(r, 10));
        }
        return Date.now();
      };
      await until(() => channel.readyState === 'open', 10_000);
      let errors = 0;
      channel.onerror = () => errors++;
      const died = Date.now();
      dead = true;
      const disconnectedAt = await until(() => a.connectionState === 'disconnected', 8000);
      const failedAt = await until(() => a.connectionState === 'failed', 8000);
      assert.ok(
        disconnectedAt - died >= 500 && disconnectedAt - died < 2500,
        `disconnected after ${disconnectedAt - died} ms`,
      );
      assert.ok(failedAt - died >= 2000 && failedAt - died < 4500, `failed after ${failedAt - died} ms`);
      await until(() => channel.readyState === 'closed', 1000);
      assert.equal(errors, 1);
    } finally {
      a.close();
      b.close();
    }
  });
});
