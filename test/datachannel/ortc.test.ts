import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCSctpTransport } from '../../src/datachannel/sctp-transport.js';
import { sha256 } from '../sctp/harness.js';
import { connectedPair, once, openChannel, until } from './helpers.js';

describe('RTCSctpTransport and RTCDataChannel (ORTC, in-memory DTLS)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('connects, reports capabilities and state, and opens a DCEP channel', async () => {
    assert.deepEqual(RTCSctpTransport.getCapabilities(), { maxMessageSize: 262_144 });
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    assert.equal(p.a.state, 'connected');
    assert.equal(p.a.maxChannels, 65_535);
    assert.equal(p.a.maxMessageSize, 262_144);
    const [local, remote] = await openChannel(p, {
      label: 'chat',
      protocol: 'json',
      ordered: false,
      maxRetransmits: 3,
    });
    assert.equal(local.id! % 2, 0, 'DTLS client allocates even ids');
    assert.equal(remote.id, local.id);
    assert.equal(remote.label, 'chat');
    assert.equal(remote.protocol, 'json');
    assert.equal(remote.ordered, false);
    assert.equal(remote.maxRetransmits, 3);
    assert.equal(remote.maxPacketLifeTime, null);
    const [fromB] = await (async () => {
      const incoming = once<Event & { channel: RTCDataChannel }>(p.a, 'datachannel');
      const ch = new RTCDataChannel(p.b, { label: 'back' });
      await once(ch, 'open');
      return [ch, (await incoming).channel];
    })();
    assert.equal(fromB.id! % 2, 1, 'DTLS server allocates odd ids');
  });

  it('sends the SACK for a message in the packet of a reply sent from its message handler', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    const [local, remote] = await openChannel(p);
    local.binaryType = 'arraybuffer';
    remote.binaryType = 'arraybuffer';
    remote.onmessage = (e) => remote.send(e.data as ArrayBuffer);
    /** Chunk types of every SCTP packet b sends from now on. */
    const packets: number[][] = [];
    const send = p.dtlsB.send.bind(p.dtlsB);
    p.dtlsB.send = (data: Uint8Array) => {
      const types: number[] = [];
      for (let at = 12; at + 4 <= data.byteLength; ) {
        types.push(data[at]!);
        at += (((data[at + 2]! << 8) | data[at + 3]!) + 3) & ~3;
      }
      packets.push(types);
      send(data);
    };
    // Two DATA packets per message: the receiver owes a SACK at once (every second packet).
    const message = new Uint8Array(2000).fill(7);
    for (let i = 0; i < 20; i++) {
      const reply = once<MessageEvent>(local, 'message');
      local.send(message);
      assert.equal(((await reply).data as ArrayBuffer).byteLength, 2000);
    }
    const SACK = 3;
    const alone = packets.filter((t) => t.length === 1 && t[0] === SACK).length;
    assert.equal(alone, 0, `SACK-only packets among ${JSON.stringify(packets)}`);
    assert.ok(packets.filter((t) => t.includes(SACK)).length >= 20, 'every message was acknowledged');
  });

  it('sends strings, Buffers, ArrayBuffers, views and Blobs, honouring binaryType', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    const [local, remote] = await openChannel(p);
    const got: unknown[] = [];
    assert.equal(remote.binaryType, 'blob', 'W3C default');
    remote.binaryType = 'arraybuffer';
    remote.onmessage = (e) => got.push(e.data);
    local.send('héllo');
    local.send('');
    local.send(Buffer.from([1, 2, 3]));
    local.send(new Uint8Array([4, 5]).buffer);
    local.send(new Uint16Array([0x0102]));
    local.send(new Uint8Array(0));
    local.send(new Blob([new Uint8Array([9, 9])]));
    local.send('after blob');
    await until(() => got.length === 8, 20_000, 'eight messages');
    assert.equal(got[0], 'héllo');
    assert.equal(got[1], '');
    assert.deepEqual([...new Uint8Array(got[2] as ArrayBuffer)], [1, 2, 3]);
    assert.deepEqual([...new Uint8Array(got[3] as ArrayBuffer)], [4, 5]);
    assert.equal((got[4] as ArrayBuffer).byteLength, 2);
    assert.equal((got[5] as ArrayBuffer).byteLength, 0);
    assert.deepEqual([...new Uint8Array(got[6] as ArrayBuffer)], [9, 9]);
    assert.equal(got[7], 'after blob', 'order kept behind a Blob');
    remote.binaryType = 'blob';
    remote.binaryType = 'nodebuffer' as 'blob'; // a WebIDL enum attribute ignores unknown values
    assert.equal(remote.binaryType, 'blob');
    local.send(new Uint8Array([7]));
    await until(() => got.length === 9);
    assert.ok(got[8] instanceof Blob);
    assert.deepEqual([...new Uint8Array(await (got[8] as Blob).arrayBuffer())], [7]);
  });

  it('copies the caller buffer at send() time', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    const [local, remote] = await openChannel(p);
    const got: ArrayBuffer[] = [];
    remote.binaryType = 'arraybuffer';
    remote.onmessage = (e) => got.push(e.data as ArrayBuffer);
    const buf = Buffer.from([1, 1, 1]);
    local.send(buf);
    buf.fill(2);
    await until(() => got.length === 1);
    assert.deepEqual([...new Uint8Array(got[0]!)], [1, 1, 1]);
    assert.equal(got[0]!.byteLength, 3, 'an ArrayBuffer of exactly the message');
  });

  it('enforces the peer maxMessageSize with TypeError and InvalidStateError before open', async () => {
    const p = await connectedPair({}, 1000);
    cleanups.push(() => p.a.stop());
    const [local] = await openChannel(p);
    assert.equal(p.a.maxMessageSize, 1000);
    assert.throws(() => local.send(new Uint8Array(1001)), TypeError);
    local.send(new Uint8Array(1000));
    const pending = new RTCDataChannel(p.a, { label: 'x' });
    assert.throws(
      () => pending.send('x'),
      (e: DOMException) => e.name === 'InvalidStateError',
    );
    assert.throws(() => new RTCDataChannel(p.a, { negotiated: true }), TypeError);
    assert.throws(() => new RTCDataChannel(p.a, { maxRetransmits: 1, maxPacketLifeTime: 1 }), TypeError);
  });

  it('refuses an incoming message over our limit without closing the association', async () => {
    const p = await connectedPair({ maxMessageSize: 10_000 }, 262_144);
    cleanups.push(() => p.a.stop());
    const [local, remote] = await openChannel(p);
    const error = once(remote, 'error');
    local.send(new Uint8Array(50_000));
    const e = (await error) as Event & { error: { errorDetail: string } };
    assert.equal(e.error.errorDetail, 'data-channel-failure');
    await once(remote, 'close');
    const [l2, r2] = await openChannel(p);
    const msg = once<MessageEvent>(r2, 'message');
    l2.send('still alive');
    assert.equal((await msg).data, 'still alive');
  });

  it('tracks bufferedAmount and fires bufferedamountlow when it falls to the threshold', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    const [local, remote] = await openChannel(p);
    let received = 0;
    remote.binaryType = 'arraybuffer';
    remote.onmessage = (e) => {
      received += (e.data as ArrayBuffer).byteLength;
    };
    local.bufferedAmountLowThreshold = 64 * 1024;
    const chunk = new Uint8Array(16 * 1024);
    for (let i = 0; i < 64; i++) local.send(chunk);
    assert.equal(local.bufferedAmount, 64 * 16 * 1024, 'counted synchronously');
    await once(local, 'bufferedamountlow');
    assert.ok(local.bufferedAmount <= 64 * 1024);
    await until(() => received === 64 * 16 * 1024, 30_000, 'all bytes');
    assert.equal(local.bufferedAmount, 0);
  });

  it('delivers 4 MB through lossy links intact (content hash)', async () => {
    const p = await connectedPair({ rtoMin: 20, rtoInitial: 100 });
    cleanups.push(() => p.a.stop());
    const [local, remote] = await openChannel(p);
    p.dtlsA.loss = 0.05;
    p.dtlsB.loss = 0.05;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) parts.push(new Uint8Array(65_536).map((_, j) => (i * 7 + j) & 0xff));
    const got: Uint8Array[] = [];
    remote.binaryType = 'arraybuffer';
    remote.onmessage = (e) => got.push(new Uint8Array(e.data as ArrayBuffer));
    for (const part of parts) local.send(part);
    await until(() => got.length === parts.length, 60_000, 'all messages');
    assert.equal(sha256(got), sha256(parts));
  });

  it('closes a channel from either side with a stream reset (closing then close)', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    for (const closer of ['local', 'remote'] as const) {
      const [local, remote] = await openChannel(p);
      const states: string[] = [];
      for (const ch of [local, remote]) {
        ch.addEventListener('closing', () => states.push(`${ch === local ? 'L' : 'R'}:closing`));
        ch.addEventListener('close', () => states.push(`${ch === local ? 'L' : 'R'}:close`));
      }
      const closes = Promise.all([once(local, 'close'), once(remote, 'close')]);
      (closer === 'local' ? local : remote).close();
      await closes;
      assert.equal(local.readyState, 'closed');
      assert.equal(remote.readyState, 'closed');
      assert.ok(states.includes(closer === 'local' ? 'R:closing' : 'L:closing'), states.join());
    }
  });

  it('opens and closes 1,000 channels on one association and recycles ids', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    const remotes: RTCDataChannel[] = [];
    p.b.ondatachannel = (e) => remotes.push(e.channel);
    const locals: RTCDataChannel[] = [];
    for (let i = 0; i < 1000; i++) locals.push(new RTCDataChannel(p.a, { label: `c${i}` }));
    await until(
      () => remotes.length === 1000 && locals.every((c) => c.readyState === 'open'),
      60_000,
      '1000 open',
    );
    assert.equal(new Set(locals.map((c) => c.id)).size, 1000);
    let echoed = 0;
    for (const r of remotes) r.onmessage = () => echoed++;
    for (const l of locals) l.send(l.label);
    await until(() => echoed === 1000, 60_000, 'a message on each');
    for (const l of locals) l.close();
    await until(
      () => locals.every((c) => c.readyState === 'closed') && remotes.every((c) => c.readyState === 'closed'),
      60_000,
      'all closed',
    );
    const [again] = await openChannel(p);
    assert.equal(again.id, 0, 'the lowest even id is free again and reused');
  });

  it('closes every channel when the transport stops; the peer closes with an sctp-failure error first', async () => {
    const p = await connectedPair();
    const [local, remote] = await openChannel(p);
    const events: string[] = [];
    let error: (Event & { error?: { errorDetail: string; sctpCauseCode: number | null } }) | undefined;
    remote.addEventListener('error', (e) => {
      events.push('error');
      error = e;
    });
    const remoteClose = once(remote, 'close').then(() => events.push('close'));
    const localClose = once(local, 'close');
    await p.a.stop();
    assert.equal(p.a.state, 'closed');
    await localClose;
    assert.equal(local.readyState, 'closed');
    await remoteClose;
    // As Chromium: a peer's ABORT, even a user-initiated one, closes the channels with an error.
    assert.deepEqual(events, ['error', 'close']);
    assert.equal(error?.error?.errorDetail, 'sctp-failure');
    assert.equal(error?.error?.sctpCauseCode, 12, 'User-Initiated Abort');
    await until(() => p.b.state === 'closed');
  });

  it('opens negotiated channels on both sides without DCEP', async () => {
    const p = await connectedPair();
    cleanups.push(() => p.a.stop());
    const a = new RTCDataChannel(p.a, { negotiated: true, id: 42, label: 'n' });
    const b = new RTCDataChannel(p.b, { negotiated: true, id: 42, label: 'n' });
    await Promise.all([once(a, 'open'), once(b, 'open')]);
    const msg = once<MessageEvent>(b, 'message');
    a.send('negotiated');
    assert.equal((await msg).data, 'negotiated');
    assert.throws(
      () => new RTCDataChannel(p.a, { negotiated: true, id: 42 }),
      (e: DOMException) => e.name === 'OperationError',
    );
  });
});
