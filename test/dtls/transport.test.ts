/** RTCDtlsTransport over an in-memory ICE pair and over our RTCIceTransport on loopback. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { bytesEqual } from '../../src/common/bytes.js';
import { nativeAddon } from '../../src/common/native.js';
import {
  type IceTransportLike,
  ReceiverSlot,
  type RTCIceRole,
  type RTCIceTransportState,
} from '../../src/common/transport.js';
import { RTCDtlsParameters, RTCDtlsTransport, RTCError, type RTCErrorEvent } from '../../src/dtls/index.js';
import { RTCIceGatherer } from '../../src/ice/gatherer.js';
import { RTCIceTransport } from '../../src/ice/transport.js';
import { nodeClock } from '../../src/net/clock.js';
import { RtpPacket } from '../../src/rtp/packet.js';
import { SrtpSession } from '../../src/srtp/index.js';
import { testCertificates } from './harness.js';

/** Two ends of a lossless in-memory link that deliver asynchronously, as sockets do. */
class MemoryIce extends EventTarget implements IceTransportLike {
  readonly receiver = new ReceiverSlot('test transport');
  attach(receiver: (data: Uint8Array) => void): () => void {
    return this.receiver.attach(receiver);
  }
  peer: MemoryIce | undefined;
  state: RTCIceTransportState = 'new';
  readonly sent: Uint8Array[] = [];
  constructor(readonly role: RTCIceRole) {
    super();
  }
  send(data: Uint8Array): void {
    this.sent.push(data.slice());
    const copy = data.slice();
    setImmediate(() => this.peer?.receiver.deliver(copy));
  }
  setState(state: RTCIceTransportState): void {
    this.state = state;
    this.dispatchEvent(new Event('statechange'));
  }
  static pair(): [MemoryIce, MemoryIce] {
    const a = new MemoryIce('controlling');
    const b = new MemoryIce('controlled');
    a.peer = b;
    b.peer = a;
    return [a, b];
  }
}

describe('RTCDtlsTransport over an in-memory ICE pair', () => {
  it('auto role: the ICE controlling side is the DTLS server; data, RTP demux and SRTP keys flow', async () => {
    const { ecdsa, p384 } = await testCertificates();
    const [iceA, iceB] = MemoryIce.pair();
    const a = new RTCDtlsTransport(iceA, [ecdsa]);
    const b = new RTCDtlsTransport(iceB, [p384]);
    assert.equal(a.getLocalParameters().role, 'auto');
    assert.equal(a.state, 'new');
    const statesA: string[] = [];
    a.onstatechange = () => statesA.push(a.state);
    // ICE connects after start(): DTLS waits for it.
    const started = Promise.all([a.start(b.getLocalParameters()), b.start(a.getLocalParameters())]);
    assert.equal(a.dtlsRole, 'server');
    assert.equal(b.dtlsRole, 'client');
    iceA.setState('connected');
    iceB.setState('connected');
    await started;
    assert.deepEqual(statesA, ['connecting', 'connected']);
    assert.ok(bytesEqual(new Uint8Array(a.getRemoteCertificates()[0]!), p384.der));
    assert.ok(bytesEqual(new Uint8Array(b.getRemoteCertificates()[0]!), ecdsa.der));

    const gotA: string[] = [];
    const gotB: string[] = [];
    a.attach((d) => gotA.push(new TextDecoder().decode(d)));
    b.attach((d) => gotB.push(new TextDecoder().decode(d)));
    const rtp: Uint8Array[] = [];
    a.attachRtp((d) => rtp.push(d));
    a.send(new TextEncoder().encode('to b'));
    b.send(new TextEncoder().encode('to a'));
    const packet = new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    b.sendRtp(packet);
    iceB.receiver.deliver(new Uint8Array([0x00, 1, 2])); // STUN-range byte: not ours, dropped
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(gotA, ['to a']);
    assert.deepEqual(gotB, ['to b']);
    assert.equal(rtp.length, 1);
    assert.ok(bytesEqual(rtp[0]!, packet));
    assert.equal(b.droppedDatagrams, 1);
    const ka = a.getSrtpKeyingMaterial()!;
    const kb = b.getSrtpKeyingMaterial()!;
    assert.equal(a.srtpProfile, 'SRTP_AEAD_AES_128_GCM');
    assert.ok(bytesEqual(ka.localKey, kb.remoteKey) && bytesEqual(ka.remoteKey, kb.localKey));
    assert.ok(bytesEqual(ka.serverWriteKey, ka.localKey), 'a is the server');

    await b.stop();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.state, 'closed');
    assert.equal(a.state, 'closed');
    assert.deepEqual(statesA, ['connecting', 'connected', 'closed']);
  });

  it('keys SRTP: the keying material of each side protects what the other unprotects, for every profile', async () => {
    const { ecdsa } = await testCertificates();
    for (const profile of [
      'SRTP_AEAD_AES_128_GCM',
      'SRTP_AEAD_AES_256_GCM',
      'SRTP_AES128_CM_HMAC_SHA1_80',
      'SRTP_AES128_CM_HMAC_SHA1_32',
    ] as const) {
      const [iceA, iceB] = MemoryIce.pair();
      iceA.state = 'connected';
      iceB.state = 'connected';
      const a = new RTCDtlsTransport(iceA, [ecdsa], { srtpProfiles: [profile] });
      const b = new RTCDtlsTransport(iceB, [ecdsa]);
      await Promise.all([a.start(b.getLocalParameters()), b.start(a.getLocalParameters())]);
      assert.equal(b.srtpProfile, profile);
      const srtpA = SrtpSession.fromDtls(a.getSrtpKeyingMaterial()!);
      const srtpB = SrtpSession.fromDtls(b.getSrtpKeyingMaterial()!);
      const payload = new Uint8Array(160).fill(0x42);
      const received = new Promise<Uint8Array | undefined>((resolve) => {
        b.attachRtp((packet) => resolve(srtpB.unprotectRtp(packet.slice())));
      });
      const rtp = new RtpPacket({
        payloadType: 111,
        sequenceNumber: 1,
        timestamp: 960,
        ssrc: 1234,
        payload,
      }).serialize();
      a.sendRtp(srtpA.protectRtp(rtp));
      const plain = await received;
      assert.ok(plain && bytesEqual(plain, rtp), `${profile}: the packet survives protect/unprotect`);
      await a.stop();
      await b.stop();
    }
  });

  it('explicit roles win over the ICE role', async () => {
    const { ecdsa } = await testCertificates();
    const [iceA, iceB] = MemoryIce.pair();
    iceA.state = 'connected';
    iceB.state = 'connected';
    const a = new RTCDtlsTransport(iceA, [ecdsa], { role: 'client' });
    const b = new RTCDtlsTransport(iceB, [ecdsa]);
    assert.equal(a.getLocalParameters().role, 'client');
    await Promise.all([a.start(b.getLocalParameters()), b.start(a.getLocalParameters())]);
    assert.equal(a.dtlsRole, 'client');
    assert.equal(b.dtlsRole, 'server', 'the remote said client, so we serve');
    await a.stop();
    await b.stop();
  });

  it('a wrong remote fingerprint fails the handshake on both sides with an error event', async () => {
    const { ecdsa, p384, rsa } = await testCertificates();
    const [iceA, iceB] = MemoryIce.pair();
    iceA.state = 'connected';
    iceB.state = 'connected';
    // The refusing side's alert is plaintext, which its peer drops: that side fails by its handshake timeout.
    const a = new RTCDtlsTransport(iceA, [ecdsa], { handshakeTimeoutMs: 1500 });
    const b = new RTCDtlsTransport(iceB, [p384], { handshakeTimeoutMs: 1500 });
    const errors: RTCErrorEvent[] = [];
    a.onerror = (e) => errors.push(e);
    b.addEventListener('error', (e) => errors.push(e));
    const wrong = new RTCDtlsParameters(rsa.getFingerprints(), 'auto');
    // The transports' wake timers are unref'd: keep the process alive while the timeout runs.
    const keepAlive = setInterval(() => undefined, 1000);
    const results = await Promise.allSettled([a.start(wrong), b.start(a.getLocalParameters())]);
    clearInterval(keepAlive);
    assert.equal(a.state, 'failed');
    assert.equal(b.state, 'failed');
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.status === 'rejected' && r.reason instanceof RTCError);
    }
    assert.equal(errors.length, 2);
    const [first, second] = errors;
    assert.equal(first!.target, a, 'the side that checks the fingerprint fails first');
    assert.equal(first!.error.errorDetail, 'fingerprint-failure');
    assert.equal(first!.error.sentAlert, 42);
    assert.equal(second!.error.errorDetail, 'dtls-failure');
    assert.equal(second!.error.receivedAlert, null);
    assert.throws(() => a.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 60), { name: 'InvalidStateError' });
  });

  it('validates its inputs as ORTC does', async () => {
    const { ecdsa } = await testCertificates();
    const [ice] = MemoryIce.pair();
    assert.throws(() => new RTCDtlsTransport(ice, []), { name: 'InvalidAccessError' });
    const t = new RTCDtlsTransport(ice, [ecdsa]);
    await assert.rejects(t.start(new RTCDtlsParameters([], 'auto')), { name: 'InvalidAccessError' });
    ice.state = 'connected';
    const p = t.start(new RTCDtlsParameters(ecdsa.getFingerprints()));
    await assert.rejects(t.start(new RTCDtlsParameters(ecdsa.getFingerprints())), {
      name: 'InvalidStateError',
    });
    await t.stop();
    await assert.rejects(p, { name: 'InvalidStateError' });
    assert.equal(t.state, 'closed');
  });

  it('fails when ICE fails before DTLS connects', async () => {
    const { ecdsa } = await testCertificates();
    const [ice] = MemoryIce.pair();
    const t = new RTCDtlsTransport(ice, [ecdsa]);
    const p = t.start(new RTCDtlsParameters(ecdsa.getFingerprints()));
    ice.setState('failed');
    await assert.rejects(p, (e: unknown) => e instanceof RTCError && e.errorDetail === 'dtls-failure');
    assert.equal(t.state, 'failed');
  });
});

describe('RTCDtlsTransport over RTCIceTransport on loopback', () => {
  const opened: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const o of opened) await o.stop();
  });

  it('two transports over our ICE connect, exchange application data, and pass SRTP up with its receive time', async () => {
    const { ecdsa, p384 } = await testCertificates();
    const g1 = new RTCIceGatherer({ loopbackOnly: true });
    const g2 = new RTCIceGatherer({ loopbackOnly: true });
    await Promise.all([g1.gather(), g2.gather()]);
    const ice1 = new RTCIceTransport(g1);
    const ice2 = new RTCIceTransport(g2);
    ice1.role = 'controlling';
    ice2.role = 'controlled';
    const d1 = new RTCDtlsTransport(ice1, [ecdsa]);
    const d2 = new RTCDtlsTransport(ice2, [p384]);
    opened.push(d1, d2, ice1, ice2);
    for (const c of g2.getLocalCandidates()) ice1.addRemoteCandidate(c);
    for (const c of g1.getLocalCandidates()) ice2.addRemoteCandidate(c);
    ice1.addRemoteCandidate(null);
    ice2.addRemoteCandidate(null);
    await Promise.all([
      ice1.start(g2.getLocalParameters()),
      ice2.start(g1.getLocalParameters()),
      d1.start(d2.getLocalParameters()),
      d2.start(d1.getLocalParameters()),
    ]);
    assert.equal(d1.dtlsRole, 'server');
    assert.equal(d2.dtlsRole, 'client');
    const received: number[] = [];
    const done = new Promise<void>((resolve) => {
      d1.attach((d) => {
        received.push(d.byteLength);
        if (received.length === 100) resolve();
      });
    });
    const payload = new Uint8Array(1100).fill(7);
    // Paced in bursts of 10: a burst of 100 can overflow the loopback socket's receive buffer.
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 10; i++) d2.send(payload);
      await new Promise((r) => setTimeout(r, 5));
    }
    await done;
    assert.ok(received.every((n) => n === 1100));
    const k1 = d1.getSrtpKeyingMaterial()!;
    const k2 = d2.getSrtpKeyingMaterial()!;
    assert.ok(bytesEqual(k1.localKey, k2.remoteKey));
    // the socket's receive time (kernel stamp, native reader) travels through ICE and DTLS to the media
    const rtp = new Promise<{ at: number | undefined; now: number }>((resolve) => {
      d1.attachRtp((_, receivedAt) => resolve({ at: receivedAt, now: nodeClock.now() }));
    });
    const before = nodeClock.now();
    d2.sendRtp(new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]));
    const { at, now } = await rtp;
    const nativeReceive = nativeAddon()?.udpRecvStart !== undefined && process.env.TSRTC_NATIVE_RECV !== '0';
    if (!nativeReceive) assert.equal(at, undefined);
    else assert.ok(at !== undefined && at >= before - 1 && at <= now, `received at ${at}, ${before}–${now}`);
  });
});
