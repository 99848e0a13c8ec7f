/**
 * RTCDataChannel as browser code sees it (W3C webrtc-pc §6): createDataChannel's WebIDL conversions and
 * errors, binaryType, send() conversions, who sees `closing`, every event in a task of its own, and what
 * the peer's close() does to our channels. Whole connections in virtual time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCDataChannel as OrtcChannel } from '../../src/datachannel/data-channel.js';
import type { RTCErrorEvent } from '../../src/datachannel/rtc-error.js';
import type { RTCDataChannelEvent } from '../../src/datachannel/sctp-transport.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { negotiate, simPeers } from '../peerconnection/sim-peers.js';
import { SimWorld } from '../sim/runtime.js';
import { connectedPair, once } from './helpers.js';

function throwsName(fn: () => unknown, name: string, what?: string): void {
  assert.throws(fn, (e: Error) => e.name === name, what ?? `expected ${name}`);
}

async function channelPair(
  world: SimWorld,
  a: RTCPeerConnection,
  b: RTCPeerConnection,
): Promise<[RTCDataChannel, RTCDataChannel]> {
  let remote: RTCDataChannel | undefined;
  b.ondatachannel = (e) => {
    remote = e.channel;
  };
  const local = a.createDataChannel('w3c');
  await negotiate(a, b);
  assert.ok(await world.run(() => local.readyState === 'open' && remote?.readyState === 'open', 30_000));
  return [local, remote!];
}

describe('createDataChannel() converts its arguments as WebIDL does', () => {
  const pc = new RTCPeerConnection();
  const make = (...args: unknown[]): RTCDataChannel =>
    (pc.createDataChannel as (...a: unknown[]) => RTCDataChannel)(...args);

  it('needs a label (length 1) and converts it to a USVString', () => {
    assert.equal(pc.createDataChannel.length, 1);
    assert.throws(() => make(), TypeError);
    assert.equal(make(null).label, 'null');
    assert.equal(make(undefined).label, 'undefined');
    assert.equal(make('\uD800').label, '\uFFFD', 'a lone surrogate becomes U+FFFD');
    assert.equal(make('\uD83D\uDE00').label, '\uD83D\uDE00', 'a surrogate pair stays');
  });

  it('converts the init dictionary: null is false for booleans and "null" for strings', () => {
    assert.equal(make('', { ordered: null }).ordered, false);
    assert.equal(make('', { ordered: undefined }).ordered, true);
    assert.equal(make('', { protocol: null }).protocol, 'null');
    assert.equal(make('', { protocol: '\uDC00x' }).protocol, '\uFFFDx');
    assert.equal(make('', { maxRetransmits: null }).maxRetransmits, 0, 'null is 0 for an unsigned short');
    assert.equal(make('', { maxPacketLifeTime: 7.9 }).maxPacketLifeTime, 7, 'truncated');
    assert.throws(() => make('', 5), TypeError, 'not a dictionary');
    assert.throws(() => make('', { priority: 'urgent' }), TypeError);
  });

  it('enforces the range of ids and reliability parameters ([EnforceRange] unsigned short)', () => {
    for (const id of [-1, 65536, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => make('', { id }), TypeError, `id ${id}`);
    }
    assert.equal(make('', { id: 65535 }).id, null, 'an id without negotiated is ignored');
    assert.throws(() => make('', { negotiated: true, id: 65535 }), TypeError, '65535 is no stream id');
    assert.equal(make('', { negotiated: true, id: 65534 }).id, 65534);
    assert.throws(() => make('', { negotiated: true }), TypeError, 'negotiated needs an id');
    for (const member of ['maxRetransmits', 'maxPacketLifeTime']) {
      assert.throws(() => make('', { [member]: 65536 }), TypeError, member);
      assert.throws(() => make('', { [member]: -1 }), TypeError, member);
    }
    assert.throws(() => make('', { maxRetransmits: 0, maxPacketLifeTime: 0 }), TypeError);
  });

  it('refuses a label or protocol over 65535 bytes, and a negotiated id in use with OperationError', () => {
    assert.throws(() => make('\u00e9'.repeat(32_768)), TypeError);
    assert.throws(() => make('', { protocol: 'p'.repeat(65_536) }), TypeError);
    make('', { negotiated: true, id: 42 });
    throwsName(() => make('', { negotiated: true, id: 42 }), 'OperationError');
  });

  it('converts before it checks the state: a closed connection throws InvalidStateError', () => {
    pc.close();
    assert.throws(() => make(), TypeError);
    throwsName(() => make(''), 'InvalidStateError');
  });
});

describe('data channel ids', () => {
  it('are assigned by the negotiated DTLS role once the answer is applied, before anything connects', async () => {
    const world = new SimWorld({ seed: 36, conditions: { delay: 50 } });
    const [a, b] = await simPeers(world, { seed: 36 });
    try {
      const offerers = a.pc.createDataChannel('from offerer');
      assert.equal(offerers.id, null, 'no id before the DTLS role is known');
      await a.pc.setLocalDescription();
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      await b.pc.setLocalDescription();
      const answerers = b.pc.createDataChannel('from answerer');
      assert.equal(answerers.id, 0, 'the answerer is the DTLS client (active): even ids (RFC 8832)');
      await a.pc.setRemoteDescription(b.pc.localDescription!);
      assert.equal(offerers.id, 1, 'the offerer is the DTLS server: odd ids');
      assert.equal(a.pc.connectionState === 'connected', false, 'not connected yet');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});

describe('RTCDataChannel attributes and send()', () => {
  it('has binaryType "blob" by default; an unknown value is ignored', () => {
    const pc = new RTCPeerConnection();
    const dc = pc.createDataChannel('b');
    assert.equal(dc.binaryType, 'blob');
    dc.binaryType = 'arraybuffer';
    for (const bad of ['jellyfish', 'arraybuffer ', '', null, undefined]) {
      dc.binaryType = bad as never;
      assert.equal(dc.binaryType, 'arraybuffer', String(bad));
    }
    pc.close();
  });

  it('delivers binary messages as Blobs by default and sends send(12345) as the string "12345"', async () => {
    const world = new SimWorld({ seed: 31, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 31 });
    try {
      const [local, remote] = await channelPair(world, a.pc, b.pc);
      const got: unknown[] = [];
      remote.onmessage = (e) => got.push(e.data);
      local.send(Uint8Array.of(1, 2, 3));
      local.send(12_345 as unknown as string);
      local.send('\uD800' as string);
      assert.ok(await world.run(() => got.length === 3, 5000));
      assert.ok(got[0] instanceof Blob);
      assert.deepEqual([...new Uint8Array(await (got[0] as Blob).arrayBuffer())], [1, 2, 3]);
      assert.equal(got[1], '12345');
      assert.equal(got[2], '\uFFFD');
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});

describe('RTCDataChannel events (each a task of its own)', () => {
  it('fires `closing` only on the side the close did not start from', async () => {
    const world = new SimWorld({ seed: 32, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 32 });
    try {
      const [local, remote] = await channelPair(world, a.pc, b.pc);
      const events: string[] = [];
      for (const [name, ch] of [
        ['local', local],
        ['remote', remote],
      ] as const) {
        for (const type of ['closing', 'close', 'error']) {
          ch.addEventListener(type, () => events.push(`${name} ${type} ${ch.readyState}`));
        }
      }
      local.close();
      assert.equal(local.readyState, 'closing', 'closing at once, without an event');
      assert.ok(await world.run(() => local.readyState === 'closed' && remote.readyState === 'closed', 5000));
      assert.ok(!events.includes('local closing closing'), events.join());
      assert.ok(events.includes('remote closing closing'), events.join());
      assert.ok(events.indexOf('remote closing closing') < events.indexOf('remote close closed'));
      assert.ok(events.includes('local close closed'));
      assert.ok(!events.some((e) => e.endsWith('error')), events.join());
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('fires two messages that arrive together in two tasks: microtasks run between them', async () => {
    const world = new SimWorld({ seed: 33, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 33 });
    try {
      const [local, remote] = await channelPair(world, a.pc, b.pc);
      const log: string[] = [];
      remote.onmessage = (e) => {
        log.push(`message ${String(e.data)}`);
        void Promise.resolve().then(() => log.push(`microtask after ${String(e.data)}`));
      };
      local.send('one');
      local.send('two'); // one SCTP packet carries both
      assert.ok(await world.run(() => log.length === 4, 5000));
      assert.deepEqual(log, ['message one', 'microtask after one', 'message two', 'microtask after two']);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('fires datachannel with the channel already open, and `open` in a later task', async () => {
    const world = new SimWorld({ seed: 34, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 34 });
    try {
      const log: string[] = [];
      b.pc.ondatachannel = (e: RTCDataChannelEvent) => {
        log.push(`datachannel ${e.channel.readyState}`);
        void Promise.resolve().then(() => log.push('microtask'));
        e.channel.onopen = () => log.push('open');
      };
      a.pc.createDataChannel('late');
      await negotiate(a.pc, b.pc);
      assert.ok(await world.run(() => log.includes('open'), 30_000));
      assert.deepEqual(log, ['datachannel open', 'microtask', 'open']);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it("closes our channels with an sctp-failure error, then close, when the peer's connection closes", async () => {
    const world = new SimWorld({ seed: 35, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 35 });
    try {
      const [local, remote] = await channelPair(world, a.pc, b.pc);
      const events: string[] = [];
      remote.onerror = (e: RTCErrorEvent) => events.push(`error ${e.error.name} ${e.error.errorDetail}`);
      remote.onclose = () => events.push('close');
      local.onclose = () => events.push('closer: close');
      a.pc.close();
      assert.equal(local.readyState, 'closed', 'close() closes its channels at once, without events');
      assert.ok(await world.run(() => remote.readyState === 'closed', 5000));
      assert.deepEqual(events, ['error OperationError sctp-failure', 'close']);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});

describe('channels the peer opens through DCEP', () => {
  it('clamp reliability parameters to the unsigned short the W3C attributes hold', async () => {
    const p = await connectedPair();
    try {
      const incoming = once<RTCDataChannelEvent>(p.b, 'datachannel');
      // The ORTC constructor takes DCEP's 32-bit value; the receiving side's attribute is an unsigned short.
      new OrtcChannel(p.a, { label: 'big', maxRetransmits: 100_000 });
      const remote = (await incoming).channel;
      assert.equal(remote.maxRetransmits, 65_535);
    } finally {
      await p.a.stop();
      await p.b.stop();
    }
  });
});
