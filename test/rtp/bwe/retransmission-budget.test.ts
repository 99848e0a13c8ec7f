import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer } from '../../../src/rtp/pacer.js';
import { SendBandwidth } from '../../../src/rtp/session-bandwidth.js';
import type { SendStream } from '../../../src/rtp/stream/send-stream.js';

/** What configure() reads of a send stream: its negotiated feedback and extensions. */
function streamWith(feedback: 'transportCc' | 'nack'): SendStream {
  return {
    mid: '0',
    ssrc: 1,
    hasFeedback: (f: string) => f === feedback,
    extensionIds: { transportWideCc: feedback === 'transportCc' ? 3 : undefined },
  } as unknown as SendStream;
}

describe('retransmission budget', () => {
  it('keeps retransmissions within the estimate over a second, refills at its rate, counts refusals', () => {
    const bandwidth = new SendBandwidth({ startBitrate: 800_000 }, new Pacer(), () => undefined);
    bandwidth.configure([streamWith('transportCc')]);
    assert.equal(bandwidth.estimator?.targetBitrate, 800_000);
    // 800 kbit/s is 100,000 bytes a second: 83 packets of 1,200 bytes, not 84.
    let admitted = 0;
    for (let i = 0; i < 200; i++) if (bandwidth.admitRetransmission(0, 1200)) admitted++;
    assert.equal(admitted, 83);
    assert.equal(bandwidth.retransmissionsLimited, 117);
    assert.equal(bandwidth.stats()?.retransmissionsLimited, 117);
    // 120 ms later 12,000 bytes more: about ten packets.
    let later = 0;
    for (let i = 0; i < 50; i++) if (bandwidth.admitRetransmission(120, 1200)) later++;
    assert.equal(later, 10);
    // An idle second refills a second's worth, never more.
    let afterIdle = 0;
    for (let i = 0; i < 200; i++) if (bandwidth.admitRetransmission(10_000, 1200)) afterIdle++;
    assert.equal(afterIdle, 83);
  });

  it('does not limit a session without an estimator (no transport-cc, no REMB)', () => {
    const bandwidth = new SendBandwidth(undefined, new Pacer(), () => undefined);
    bandwidth.configure([streamWith('nack')]);
    assert.equal(bandwidth.estimator, undefined);
    for (let i = 0; i < 1000; i++) assert.ok(bandwidth.admitRetransmission(0, 1200));
  });
});
