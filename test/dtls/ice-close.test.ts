/** A connected RTCDtlsTransport follows its RTCIceTransport into `closed`. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCCertificate } from '../../src/dtls/certificate.js';
import { RTCDtlsTransport } from '../../src/dtls/transport.js';
import { RTCIceGatherer } from '../../src/ice/gatherer.js';
import { RTCIceTransport } from '../../src/ice/transport.js';

describe('RTCDtlsTransport over RTCIceTransport', () => {
  it('closes when the ICE transport under a connected session is stopped', async () => {
    const g1 = new RTCIceGatherer({ loopbackOnly: true });
    const g2 = new RTCIceGatherer({ loopbackOnly: true });
    await Promise.all([g1.gather(), g2.gather()]);
    const i1 = new RTCIceTransport(g1);
    const i2 = new RTCIceTransport(g2);
    i1.role = 'controlling';
    i2.role = 'controlled';
    for (const c of g2.getLocalCandidates()) i1.addRemoteCandidate(c);
    for (const c of g1.getLocalCandidates()) i2.addRemoteCandidate(c);
    const [c1, c2] = await Promise.all([
      RTCCertificate.generateCertificate(),
      RTCCertificate.generateCertificate(),
    ]);
    const d1 = new RTCDtlsTransport(i1, [c1]);
    const d2 = new RTCDtlsTransport(i2, [c2]);
    await Promise.all([
      i1.start(g2.getLocalParameters()),
      i2.start(g1.getLocalParameters()),
      d1.start(d2.getLocalParameters()),
      d2.start(d1.getLocalParameters()),
    ]);
    assert.equal(d1.state, 'connected');
    const states: string[] = [];
    d1.onstatechange = () => states.push(d1.state);
    await i1.stop();
    assert.equal(i1.state, 'closed');
    assert.equal(d1.state, 'closed');
    assert.deepEqual(states, ['closed']);
    await d2.stop();
    await i2.stop();
  });
});
