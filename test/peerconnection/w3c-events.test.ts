/**
 * The event classes applications construct themselves (W3C): their init dictionaries are converted and
 * checked as WebIDL does, and EventInit (bubbles, cancelable) reaches the Event. And the gathering state
 * events: each RTCIceTransport's gatheringState changes in the task that also updates the connection's
 * iceGatheringState, its gatheringstatechange first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCDataChannelEvent } from '../../src/datachannel/sctp-transport.js';
import { RTCIceCandidate } from '../../src/ice/candidate.js';
import type { RTCIceTransport } from '../../src/ice/transport.js';
import { MediaStream } from '../../src/media/media-stream.js';
import { RTCPeerConnectionIceEvent, RTCTrackEvent } from '../../src/peerconnection/events.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { SimWorld } from '../sim/runtime.js';
import { simPeers } from './sim-peers.js';

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

/**
 * What an application sees of the gathering states, one line per event: which object fired, and what the
 * connection and each listed transport say at that moment. A task boundary between a transport's event and
 * the connection's would show as a state that runs ahead in one line.
 */
function watchGathering(pc: RTCPeerConnection, transports: readonly RTCIceTransport[]): string[] {
  const lines: string[] = [];
  const seen = () => `pc ${pc.iceGatheringState} / ${transports.map((t) => t.gatheringState).join(' ')}`;
  transports.forEach((t, i) => {
    t.addEventListener('gatheringstatechange', () => lines.push(`transport ${i}: ${seen()}`));
  });
  pc.addEventListener('icegatheringstatechange', () => lines.push(`icegatheringstatechange: ${seen()}`));
  pc.addEventListener('icecandidate', (e) => {
    if (e.candidate === null) lines.push(`null candidate: ${seen()}`);
  });
  return lines;
}

describe('ICE gathering state (W3C: the transport and the connection change in one task)', () => {
  it('answerer with one transport: the transport fires first, and the connection never disagrees with it', async () => {
    const world = new SimWorld({ seed: 51, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 51 });
    try {
      a.pc.createDataChannel('gather');
      await a.pc.setLocalDescription();
      await b.pc.setRemoteDescription(a.pc.localDescription!);
      await b.pc.setLocalDescription();
      // The answer made the SCTP transport and started gathering; the tasks that report it have not run yet.
      const ice = b.pc.sctp!.transport.iceTransport;
      assert.equal(ice.gatheringState, 'new', 'the gatherer started, but its task has not run');
      const lines = watchGathering(b.pc, [ice]);
      assert.ok(await world.run(() => b.pc.iceGatheringState === 'complete', 5_000));
      assert.deepEqual(lines, [
        'transport 0: pc new / gathering',
        'icegatheringstatechange: pc gathering / gathering',
        'transport 0: pc gathering / complete',
        'icegatheringstatechange: pc complete / complete',
        'null candidate: pc complete / complete',
      ]);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });

  it('offerer with a transport per section: the connection completes with the last transport', async () => {
    const world = new SimWorld({ seed: 52, conditions: { delay: 5 } });
    const [a, b] = await simPeers(world, { seed: 52 });
    try {
      a.pc.addTransceiver('audio');
      a.pc.addTransceiver('video');
      await a.pc.setLocalDescription();
      // An initial balanced offer: audio and video each have a transport until the answer accepts BUNDLE.
      const transports = a.pc.getTransceivers().map((t) => t.sender.transport!.iceTransport);
      assert.notEqual(transports[0], transports[1]);
      const lines = watchGathering(a.pc, transports);
      assert.ok(await world.run(() => a.pc.iceGatheringState === 'complete', 5_000));
      assert.deepEqual(lines, [
        'transport 0: pc new / gathering new',
        'icegatheringstatechange: pc gathering / gathering new',
        'transport 1: pc gathering / gathering gathering',
        'transport 0: pc gathering / complete gathering',
        'transport 1: pc gathering / complete complete',
        'icegatheringstatechange: pc complete / complete complete',
        'null candidate: pc complete / complete complete',
      ]);
    } finally {
      a.pc.close();
      b.pc.close();
    }
  });
});
