/** Data channels through our real ICE and DTLS on loopback UDP: the integrity test through the ORTC objects. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCSctpTransport } from '../../src/datachannel/sctp-transport.js';
import { RTCCertificate, RTCDtlsTransport } from '../../src/dtls/index.js';
import { RTCIceGatherer } from '../../src/ice/gatherer.js';
import { RTCIceTransport } from '../../src/ice/transport.js';
import { makeMessages, sha256 } from '../sctp/harness.js';
import { once, until } from './helpers.js';

describe('RTCSctpTransport over RTCDtlsTransport over RTCIceTransport (loopback)', () => {
  const opened: { stop(): Promise<void> }[] = [];
  after(async () => {
    for (const o of opened.reverse()) await o.stop();
  });

  it('delivers every byte on reliable ordered and unordered channels, both directions', async () => {
    const [c1, c2] = await Promise.all([
      RTCCertificate.generateCertificate(),
      RTCCertificate.generateCertificate(),
    ]);
    const g1 = new RTCIceGatherer({ loopbackOnly: true });
    const g2 = new RTCIceGatherer({ loopbackOnly: true });
    await Promise.all([g1.gather(), g2.gather()]);
    const ice1 = new RTCIceTransport(g1);
    const ice2 = new RTCIceTransport(g2);
    ice1.role = 'controlling';
    ice2.role = 'controlled';
    const d1 = new RTCDtlsTransport(ice1, [c1]);
    const d2 = new RTCDtlsTransport(ice2, [c2]);
    const s1 = new RTCSctpTransport(d1);
    const s2 = new RTCSctpTransport(d2);
    opened.push(ice1, ice2, d1, d2, s1, s2);
    for (const c of g2.getLocalCandidates()) ice1.addRemoteCandidate(c);
    for (const c of g1.getLocalCandidates()) ice2.addRemoteCandidate(c);
    ice1.addRemoteCandidate(null);
    ice2.addRemoteCandidate(null);
    const caps = RTCSctpTransport.getCapabilities();
    await Promise.all([s1.start(caps, 5000), s2.start(caps, 5000)]);
    await Promise.all([
      ice1.start(g2.getLocalParameters()),
      ice2.start(g1.getLocalParameters()),
      d1.start(d2.getLocalParameters()),
      d2.start(d1.getLocalParameters()),
    ]);
    await until(() => s1.state === 'connected' && s2.state === 'connected', 20_000, 'SCTP connected');

    const remote: RTCDataChannel[] = [];
    s2.ondatachannel = (e) => remote.push(e.channel);
    const ordered = new RTCDataChannel(s1, { label: 'ordered' });
    const unordered = new RTCDataChannel(s1, { label: 'unordered', ordered: false });
    await Promise.all([once(ordered, 'open'), once(unordered, 'open')]);
    await until(() => remote.length === 2, 20_000, 'remote channels');
    const [rOrdered, rUnordered] =
      remote[0]!.label === 'ordered' ? [remote[0]!, remote[1]!] : [remote[1]!, remote[0]!];

    const msgs = makeMessages(77, 200, 60_000, 4);
    const gotOrdered: Uint8Array[] = [];
    const gotUnordered: Uint8Array[] = [];
    rOrdered.binaryType = 'arraybuffer';
    rUnordered.binaryType = 'arraybuffer';
    rOrdered.onmessage = (e) => gotOrdered.push(new Uint8Array(e.data as ArrayBuffer));
    rUnordered.onmessage = (e) => gotUnordered.push(new Uint8Array(e.data as ArrayBuffer));
    const echoed: string[] = [];
    ordered.onmessage = (e) => echoed.push(e.data as string);
    for (const m of msgs) {
      ordered.send(m);
      unordered.send(m);
    }
    await until(
      () => gotOrdered.length === msgs.length && gotUnordered.length === msgs.length,
      60_000,
      'all messages',
    );
    const index = (m: Uint8Array) => new DataView(m.buffer, m.byteOffset).getUint32(0);
    const bad = gotOrdered.flatMap((g, i) =>
      sha256([g]) === sha256([msgs[i]!]) ? [] : [`${i}:${g.byteLength}/${msgs[i]!.byteLength}:${index(g)}`],
    );
    assert.equal(
      sha256(gotOrdered),
      sha256(msgs),
      `ordered: every byte, in order; bad ${bad.slice(0, 10).join(' ')} (${bad.length})`,
    );
    assert.equal(
      sha256([...gotUnordered].sort((a, b) => index(a) - index(b))),
      sha256(msgs),
      'unordered: every byte once',
    );
    rOrdered.send('back');
    await until(() => echoed.length === 1);
    assert.equal(echoed[0], 'back');
    const closed = Promise.all([once(ordered, 'close'), once(rOrdered, 'close')]);
    rOrdered.close();
    await closed;
  });
});
