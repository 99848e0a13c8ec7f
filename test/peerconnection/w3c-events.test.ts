/**
 * The event classes applications construct themselves (W3C): their init dictionaries are converted and
 * checked as WebIDL does, and EventInit (bubbles, cancelable) reaches the Event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCDataChannelEvent } from '../../src/datachannel/sctp-transport.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import { MediaStream } from '../../src/media/media-stream.js';
import { RTCPeerConnectionIceEvent, RTCTrackEvent } from '../../src/peerconnection/events.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

describe('W3C event constructors', () => {
  it('RTCPeerConnectionIceEvent: candidate and url default to null; a plain object is no candidate', () => {
    for (const init of [undefined, {}, { candidate: null }, { candidate: undefined }]) {
      const e = new RTCPeerConnectionIceEvent('icecandidate', init);
      assert.equal(e.candidate, null);
      assert.equal(e.url, null);
      assert.equal(e.bubbles, false);
    }
    const candidate = new RTCIceCandidate({ candidate: '', sdpMid: '0' });
    const e = new RTCPeerConnectionIceEvent('icecandidate', {
      candidate,
      url: 'stun:x',
      bubbles: true,
      cancelable: true,
    });
    assert.equal(e.candidate, candidate);
    assert.equal(e.url, 'stun:x');
    assert.equal(e.bubbles, true);
    assert.equal(e.cancelable, true);
    assert.throws(
      () => new RTCPeerConnectionIceEvent('x', { candidate: { candidate: '', sdpMid: '0' } as never }),
      TypeError,
    );
  });

  it('RTCDataChannelEvent: a channel is required (length 2)', () => {
    assert.equal(RTCDataChannelEvent.length, 2);
    for (const init of [undefined, {}, { channel: null }, { channel: undefined }, { channel: {} }]) {
      assert.throws(() => new RTCDataChannelEvent('datachannel', init as never), TypeError);
    }
    const pc = new RTCPeerConnection();
    const channel = pc.createDataChannel('');
    assert.equal(new RTCDataChannelEvent('datachannel', { channel }).channel, channel);
    pc.close();
  });

  it('RTCTrackEvent: receiver, track and transceiver are required; streams default to none', () => {
    const pc = new RTCPeerConnection();
    const transceiver = pc.addTransceiver('audio');
    const { receiver } = transceiver;
    const track = receiver.track;
    const e = new RTCTrackEvent('track', { receiver, track, transceiver });
    assert.deepEqual(e.streams, []);
    const stream = new MediaStream([track]);
    assert.deepEqual(
      new RTCTrackEvent('track', { receiver, track, transceiver, streams: [stream] }).streams,
      [stream],
    );
    assert.throws(() => new RTCTrackEvent('track', { receiver, track } as never), TypeError);
    assert.throws(() => new RTCTrackEvent('track', { receiver, transceiver } as never), TypeError);
    assert.throws(() => new RTCTrackEvent('track', { track, transceiver } as never), TypeError);
    assert.throws(() => new RTCTrackEvent('track', { receiver, track, transceiver: {} } as never), TypeError);
    pc.close();
  });
});
