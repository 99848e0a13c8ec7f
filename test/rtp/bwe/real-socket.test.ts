/**
 * The estimator on real sockets and a real clock: two MediaSessions over UDP on 127.0.0.1 through a relay
 * of our own that rate-limits one direction (1 Mbit/s, a 200 ms drop-tail queue, as `tc tbf` would), with
 * the synthetic encoder following the target. The estimate converges to the cap (0.90–0.94 of it on a quiet
 * machine; timer lateness on a loaded one reads as queueing and holds it lower).
 * Run inside the loopback-only namespace: ../shared/scripts/netns.sh npm test -- test/rtp/bwe/real-socket.test.ts
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import os from 'node:os';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SeededRandom } from '../../../src/common/random.js';
import { MediaSession } from '../../../src/rtp/media-session.js';
import { codec, configs, EXT, keyPair, vp8Frame } from '../session/harness.js';
import { mean, trace } from './harness.js';

const HOST = '127.0.0.1';
const t0 = performance.now();
const now = (): number => performance.now() - t0;

/** A session on a UDP socket, woken by a timer at its pollTimeout. */
class SocketPeer {
  readonly socket = dgram.createSocket('udp4');
  private timer: NodeJS.Timeout | undefined;
  remotePort = 0;
  onEvent: (e: ReturnType<MediaSession['pollEvent']>) => void = () => {};

  constructor(readonly session: MediaSession) {
    this.socket.on('message', (msg) => {
      this.session.handleDatagram(now(), new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
      this.pump();
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, HOST, resolve));
    return this.socket.address().port;
  }

  pump(): void {
    for (let d = this.session.pollTransmit(); d; d = this.session.pollTransmit())
      this.socket.send(d, this.remotePort, HOST);
    for (let e = this.session.pollEvent(); e; e = this.session.pollEvent()) this.onEvent(e);
    if (this.timer) clearTimeout(this.timer);
    const at = this.session.pollTimeout();
    if (at === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.session.handleTimeout(now());
        this.pump();
      },
      Math.max(0, at - now()),
    );
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.socket.close();
  }
}

/** A UDP relay: a → b through a rate-limited drop-tail queue, b → a as it comes. */
class RateLimitedRelay {
  readonly socket = dgram.createSocket('udp4');
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private busy = false;
  private lastDeparture = 0;
  private timer: NodeJS.Timeout | undefined;
  delivered = 0;
  deliveredFrom = 0;
  dropped = 0;

  constructor(
    readonly aPort: number,
    readonly bPort: number,
    readonly rateBps: number,
    readonly queueMs: number,
  ) {
    this.socket.on('message', (msg, from) => {
      if (from.port === this.bPort) {
        this.socket.send(msg, this.aPort, HOST);
        return;
      }
      const wire = msg.byteLength + 28;
      if (this.queuedBytes + wire > (this.rateBps * this.queueMs) / 8000) {
        this.dropped++;
        return;
      }
      this.queue.push(msg);
      this.queuedBytes += wire;
      if (!this.busy) this.next();
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, HOST, resolve));
    return this.socket.address().port;
  }

  /**
   * Send the head of the queue when its transmission at the rate ends: departures are computed from the
   * previous departure, not from when a (late) timer fired, so the average rate is exact.
   */
  private next(): void {
    const msg = this.queue[0];
    if (!msg) {
      this.busy = false;
      return;
    }
    this.busy = true;
    const departAt = Math.max(now(), this.lastDeparture) + ((msg.byteLength + 28) * 8000) / this.rateBps;
    this.timer = setTimeout(
      () => {
        this.lastDeparture = departAt;
        this.queue.shift();
        this.queuedBytes -= msg.byteLength + 28;
        this.socket.send(msg, this.bPort, HOST);
        if (now() >= 6000) this.delivered += msg.byteLength + 28;
        this.next();
      },
      Math.max(0, departAt - now()),
    );
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.socket.close();
  }
}

describe('bandwidth estimation over real UDP sockets', () => {
  it('converges to a 1 Mbit/s cap on loopback', async (t) => {
    // a real-time measurement: with the machine oversubscribed (load average over twice the cores), timers
    // fire tens of ms late and that, not the link, is what the delay detector would measure
    const load = os.loadavg()[0]! / os.cpus().length;
    if (load > 2) {
      t.skip(`load average ${load.toFixed(1)} per core: too busy for a real-time measurement`);
      return;
    }
    const video = codec('vp8', 96, { nack: true, pli: true, transportCc: true }, 97);
    const c = configs([
      { mid: 'v', kind: 'video', codecs: [video], a: [{ ssrc: 1, rtxSsrc: 2 }], extensions: EXT },
    ]);
    const keys = keyPair(1, 3);
    const a = new SocketPeer(
      new MediaSession({
        wallClockAtZero: Date.now(),
        random: new SeededRandom(1),
        config: c.a,
        keys: keys.a,
      }),
    );
    const b = new SocketPeer(
      new MediaSession({
        wallClockAtZero: Date.now(),
        random: new SeededRandom(2),
        config: c.b,
        keys: keys.b,
      }),
    );
    const aPort = await a.bind();
    const bPort = await b.bind();
    const relay = new RateLimitedRelay(aPort, bPort, 1_000_000, 200);
    const relayPort = await relay.bind();
    a.remotePort = relayPort;
    b.remotePort = relayPort;
    let target = 300_000;
    let keyframeWanted = true;
    let received = 0;
    a.onEvent = (e) => {
      if (e?.type === 'target-bitrate') target = e.bitrate;
      if (e?.type === 'keyframe-request') keyframeWanted = true;
    };
    b.onEvent = (e) => {
      if (e?.type === 'frame') received++;
    };
    const estimates: { at: number; bps: number }[] = [];
    let i = 0;
    const encoder = setInterval(() => {
      const keyframe = keyframeWanted || i % 300 === 0;
      keyframeWanted = false;
      a.session.writeFrame(
        now(),
        'v',
        undefined,
        vp8Frame(i++ & 0xffff, Math.max(100, Math.round(target / 30 / 8)), keyframe),
      );
      a.pump();
      const bw = a.session.getStats(now()).bandwidth;
      if (bw) estimates.push({ at: now(), bps: bw.availableOutgoingBitrate });
    }, 1000 / 30);
    try {
      await sleep(12_000);
    } finally {
      clearInterval(encoder);
      a.close();
      b.close();
      relay.close();
    }
    const late = estimates.filter((e) => e.at >= 6000).map((e) => e.bps);
    const throughput = (relay.delivered * 8000) / (now() - 6000);
    const figures = {
      estimateMean: Math.round(mean(late)),
      estimateMin: Math.min(...late),
      estimateMax: Math.max(...late),
      relayThroughput: Math.round(throughput),
      relayDrops: relay.dropped,
      framesSent: i,
      framesReceived: received,
    };
    trace('real-socket', figures);
    // On a quiet machine the mean is 0.90–0.94 of the cap. Timers late by several ms on a loaded one (load
    // 10 on 2 cores: arrival times read late, relay bursts) look like queueing to the delay detector and
    // hold it lower, so the bound here is looser; it still fails if the estimate collapses or overshoots.
    assert.ok(figures.estimateMean >= 500_000, `estimate ${figures.estimateMean}`);
    assert.ok(figures.estimateMax <= 1_250_000, `estimate rose to ${figures.estimateMax}`);
    assert.ok(throughput > 0.4 * 1_000_000, `relay carried ${throughput} bit/s`);
    assert.ok(received > 0.9 * i, `${received} of ${i} frames`);
  });
});
