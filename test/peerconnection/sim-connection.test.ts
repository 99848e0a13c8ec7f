/**
 * Whole RTCPeerConnections in virtual time over the simulated network: connecting under loss, renegotiation
 * that adds and removes a data channel, ICE restart, close from either side, a dead peer, determinism.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import type { RTCDataChannelEvent } from '../../src/datachannel/sctp-transport.js';
import { SimWorld } from '../sim/runtime.js';
import { connected, negotiate, simPeers } from './sim-peers.js';

async function openChannelPair(
  world: SimWorld,
  a: import('../../src/peerconnection/peer-connection.js').RTCPeerConnection,
  b: import('../../src/peerconnection/peer-connection.js').RTCPeerConnection,
  label: string,
  negotiateFirst: boolean,
): Promise<[RTCDataChannel, RTCDataChannel]> {
  let remote: RTCDataChannel | undefined;
  const onChannel = (e: Event): void => {
    const ch = (e as RTCDataChannelEvent).channel;
    if (ch.label === label) remote = ch;
  };
  b.addEventListener('datachannel', onChannel);
  const local = a.createDataChannel(label);
  if (negotiateFirst) await negotiate(a, b);
  assert.ok(
    await world.run(() => local.readyState === 'open' && remote?.readyState === 'open', 60_000),
    `channel ${label} opens (local ${local.readyState}, remote ${remote?.readyState})`,
  );
  b.removeEventListener('datachannel', onChannel);
  return [local, remote!];
}

async function echo(world: SimWorld, from: RTCDataChannel, to: RTCDataChannel, text: string): Promise<void> {
  let got: string | undefined;
  const onMessage = (e: MessageEvent): void => {
    got = String(e.data);
  };
  to.addEventListener('message', onMessage);
  from.send(text);
  assert.ok(await world.run(() => got === text, 30_000), `"${text}" arrives`);
  to.removeEventListener('message', onMessage);
}

describe('RTCPeerConnection in virtual time (simulated network)', () => {
  for (const loss of [0, 0.1, 0.3]) {
    it(`connects and opens a data channel at ${loss * 100} % loss with reordering`, async () => {
      const world = new SimWorld({
        seed: 7,
        conditions: { delay: 20, jitter: 5, loss, reorder: loss > 0 ? 0.1 : 0, reorderDelay: 15 },
      });
      const [a, b] = await simPeers(world, { seed: 3 });
      try {
        const [ca, cb] = await openChannelPair(world, a.pc, b.pc, 'chat', true);
        assert.ok(connected(a.pc, b.pc), `${a.pc.connectionState} / ${b.pc.connectionState}`);
        await echo(world, ca, cb, 'ping');
        await echo(world, cb, ca, 'pong');
        // 20 ms one way: ICE, DTLS, SCTP and DCEP take a handful of round trips without loss.
        if (loss === 0) assert.ok(world.now < 1000, `open after ${world.now} virtual ms`);
        assert.ok(
          world.realMs < world.now || loss === 0,
          `real ${world.realMs} ms vs virtual ${world.now} ms`,
        );
      } finally {
        a.pc.close();
        b.pc.close();
      }
    });
  }

  it('adds a data channel in a second negotiation round, then removes it when the peer rejects it', async () => {
    const world = new SimWorld({ seed: 11, conditions: { delay: 10 } });
    const [a, b] = await simPeers(world, { seed: 5 });
    try {
      // Round 1: media only: no data section, no SCTP transport.
      a.pc.addTransceiver('audio');
      await negotiate(a.pc, b.pc);
      assert.ok(await world.run(() => connected(a.pc, b.pc)));
      assert.equal(a.pc.sctp, null);
      // Round 2: a data channel created now needs negotiation, and opens after it.
      let needed = 0;
      a.pc.onnegotiationneeded = () => needed++;
      const channel = a.pc.createDataChannel('late');
      assert.ok(await world.run(() => needed > 0, 1000), 'negotiationneeded fires');
      let remote: RTCDataChannel | undefined;
      b.pc.ondatachannel = (e) => {
        remote = e.channel;
      };
      await negotiate(a.pc, b.pc);
      assert.ok(a.pc.sctp, 'the SCTP transport exists after the second round');
      assert.ok(await world.run(() => channel.readyState === 'open' && remote?.readyState === 'open'));
      await echo(world, channel, remote!, 'after renegotiation');
      assert.equal(needed, 1, 'negotiationneeded fired once');

      // Round 3: the peer offers the data section rejected (port 0): the transport closes, pc.sctp is null.
      await b.pc.setLocalDescription();
      const rejected = b.pc.localDescription!.sdp.replace(/m=application \d+/, 'm=application 0');
      await a.pc.setRemoteDescription({ type: 'offer', sdp: rejected });
      await a.pc.setLocalDescription();
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      assert.equal(a.pc.sctp, null);
      assert.equal(b.pc.sctp, null);
      assert.ok(
        await world.run(() => channel.readyState === 'closed' && remote?.readyState === 'closed', 5000),
      );
      assert.ok(connected(a.pc, b.pc), 'media transport unaffected');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('restarts ICE and keeps the data channel working', async () => {
    const world = new SimWorld({ seed: 13, conditions: { delay: 15 } });
    const [a, b] = await simPeers(world, { seed: 6 });
    try {
      const [ca, cb] = await openChannelPair(world, a.pc, b.pc, 'kept', true);
      const ufrag = a.pc.localDescription!.sdp.match(/a=ice-ufrag:(\S+)/)![1];
      a.pc.restartIce();
      let needed = false;
      a.pc.onnegotiationneeded = () => {
        needed = true;
      };
      assert.ok(await world.run(() => needed, 1000));
      await negotiate(a.pc, b.pc);
      const next = a.pc.localDescription!.sdp.match(/a=ice-ufrag:(\S+)/)![1];
      assert.notEqual(next, ufrag, 'new local credentials');
      await world.runFor(3000);
      assert.ok(connected(a.pc, b.pc), `${a.pc.connectionState} / ${b.pc.connectionState}`);
      await echo(world, ca, cb, 'across the restart');
      await echo(world, cb, ca, 'and back');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  for (const closer of ['offerer', 'answerer'] as const) {
    it(`closes from the ${closer}: the peer's channel closes within 100 ms, with an sctp-failure error first`, async () => {
      const world = new SimWorld({ seed: 17, conditions: { delay: 10 } });
      const [a, b] = await simPeers(world, { seed: 7 });
      try {
        const [ca, cb] = await openChannelPair(world, a.pc, b.pc, 'bye', true);
        const [local, remote, closing, other] = closer === 'offerer' ? [ca, cb, a, b] : [cb, ca, b, a];
        const events: string[] = [];
        remote.onerror = (e) => events.push(`error ${e.error.errorDetail} ${e.error.sctpCauseCode}`);
        remote.onclose = () => events.push('close');
        local.onclose = () => events.push('local close');
        closing.pc.close();
        // Synchronous close (W3C): the states are final when close() returns.
        assert.equal(closing.pc.signalingState, 'closed');
        assert.equal(closing.pc.connectionState, 'closed');
        assert.equal(closing.pc.iceConnectionState, 'closed');
        assert.equal(local.readyState, 'closed');
        const closedAt = world.now;
        assert.ok(await world.run(() => remote.readyState === 'closed', 1000));
        assert.ok(world.now - closedAt <= 100, `remote closed after ${world.now - closedAt} ms`);
        // As Chromium (and the WPT): the peer's ABORT closes our channel with an error, then close; the
        // channel that close() closed fires nothing.
        assert.deepEqual(events, ['error sctp-failure 12', 'close']);
        assert.ok(
          await world.run(() => other.pc.connectionState === 'closed', 1000),
          other.pc.connectionState,
        );
      } finally {
        a.pc.close();
        b.pc.close();
      }
    });
  }

  it('notices a dead peer: disconnected after about 5 s, failed after 15 s, channels closed', async () => {
    const world = new SimWorld({ seed: 19, conditions: { delay: 10 } });
    const [a, b] = await simPeers(world, { seed: 8 });
    try {
      const [ca] = await openChannelPair(world, a.pc, b.pc, 'dead', true);
      const errors: Event[] = [];
      ca.onerror = (e) => errors.push(e);
      // b vanishes: nothing reaches it or leaves it any more.
      const died = world.now;
      world.net.tap = (d) => d.source.address !== '203.0.113.1' && d.destination.address !== '203.0.113.1';
      assert.ok(await world.run(() => a.pc.connectionState === 'disconnected', 20_000));
      const disconnected = world.now - died;
      assert.ok(await world.run(() => a.pc.connectionState === 'failed', 30_000));
      const failed = world.now - died;
      assert.ok(disconnected >= 2000 && disconnected <= 6000, `disconnected after ${disconnected} ms`);
      assert.ok(failed >= 12_000 && failed <= 15_500, `failed after ${failed} ms`);
      assert.equal(a.pc.iceConnectionState, 'failed');
      // The channel's error and close events are a task of their own, after connectionstatechange.
      assert.ok(await world.run(() => ca.readyState === 'closed', 100));
      assert.equal(errors.length, 1, 'the channel reports the failure');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('survives spoofed DTLS from an unvalidated address during the handshake', async () => {
    const world = new SimWorld({ seed: 23, conditions: { delay: 25 } });
    const [a, b] = await simPeers(world, { seed: 9 });
    const spoofer = world.runtime({ address: '192.0.2.66', seed: 99 });
    const socket = await spoofer.network.bindUdp('192.0.2.66');
    try {
      a.pc.createDataChannel('x');
      await negotiate(a.pc, b.pc);
      // Learn a's ports from its candidates, then send plaintext epoch-0 alerts and a ClientHello-ish record.
      const ports = [...a.pc.localDescription!.sdp.matchAll(/candidate:\S+ 1 udp \d+ (\S+) (\d+)/g)].map(
        (m) => ({ address: m[1]!, port: Number(m[2]) }),
      );
      assert.ok(ports.length > 0);
      const alert = (level: number, description: number): Uint8Array =>
        Uint8Array.of(21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, level, description);
      let sent = 0;
      while (!connected(a.pc, b.pc) && sent < 50) {
        for (const p of ports) {
          socket.send(alert(2, 40), p); // fatal handshake_failure
          socket.send(alert(1, 0), p); // close_notify
        }
        sent++;
        await world.runFor(5);
      }
      assert.ok(await world.run(() => connected(a.pc, b.pc), 10_000), `${a.pc.connectionState}`);
      assert.ok(sent > 0);
    } finally {
      socket.close();
      a.pc.close();
      b.pc.close();
    }
  });

  it('is deterministic: the same seeds give the same events at the same virtual times', async () => {
    const trace = async (): Promise<string[]> => {
      const world = new SimWorld({ seed: 29, conditions: { delay: 12, jitter: 6, loss: 0.1 } });
      const [a, b] = await simPeers(world, { seed: 10 });
      try {
        await openChannelPair(world, a.pc, b.pc, 'd', true);
        await world.runFor(2000);
        return [...a.log, ...b.log];
      } finally {
        a.pc.close();
        b.pc.close();
      }
    };
    const first = await trace();
    const second = await trace();
    assert.ok(first.length > 5);
    assert.deepEqual(second, first);
  });
});
