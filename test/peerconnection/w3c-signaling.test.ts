/**
 * The W3C "set the session description" behaviour browser code relies on: the state changes and events
 * happen in a queued task before the promise settles; the implicit rollback is a task of its own; the
 * errors come in the specification's order and kinds; the description attributes keep their identity;
 * close() leaves interrupted operations pending.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCError } from '../../src/common/rtc-error.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

const config = { iceLoopbackOnly: true };

function pair(): [RTCPeerConnection, RTCPeerConnection, () => void] {
  const a = new RTCPeerConnection(config);
  const b = new RTCPeerConnection(config);
  return [
    a,
    b,
    () => {
      a.close();
      b.close();
    },
  ];
}

const nextEvent = (target: EventTarget, type: string): Promise<Event> =>
  new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));

describe('setRemoteDescription / setLocalDescription (W3C tasks and errors)', () => {
  it('changes nothing synchronously, then fires signalingstatechange before the promise settles', async () => {
    const [a, b, close] = pair();
    try {
      a.addTransceiver('audio', { direction: 'recvonly' });
      const offer = await a.createOffer();
      const p = b.setRemoteDescription(offer);
      assert.equal(b.signalingState, 'stable');
      assert.equal(b.pendingRemoteDescription, null);
      assert.equal(b.getTransceivers().length, 0, 'no transceiver before the task');
      const first = await Promise.race([
        nextEvent(b, 'signalingstatechange').then(() => 'event'),
        p.then(() => 'sRD'),
      ]);
      assert.equal(first, 'event');
      assert.equal(b.signalingState, 'have-remote-offer');
      assert.equal(b.pendingRemoteDescription, b.remoteDescription, 'the attributes keep their object');
      await p;
      assert.equal(b.getTransceivers().length, 1);
    } finally {
      close();
    }
  });

  it('rolls back a local offer in a task of its own: code that awaits sees stable, then have-remote-offer', async () => {
    const [a, b, close] = pair();
    try {
      await a.setLocalDescription(await a.createOffer());
      const p = a.setRemoteDescription(await b.createOffer());
      await nextEvent(a, 'signalingstatechange');
      assert.equal(a.signalingState, 'stable');
      assert.equal(a.pendingLocalDescription, null);
      await nextEvent(a, 'signalingstatechange');
      assert.equal(a.signalingState, 'have-remote-offer');
      assert.equal(a.pendingRemoteDescription?.type, 'offer');
      await p;
    } finally {
      close();
    }
  });

  it('rolls back even when the offer then turns out to be unparsable, and rejects with RTCError', async () => {
    const [a, , close] = pair();
    try {
      await a.setLocalDescription(await a.createOffer());
      const states: string[] = [];
      a.onsignalingstatechange = () => states.push(a.signalingState);
      const err = await a.setRemoteDescription({ type: 'offer', sdp: 'v=0\r\nbogus\r\n' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof RTCError, String(err));
      assert.equal(err.name, 'OperationError');
      assert.equal(err.errorDetail, 'sdp-syntax-error');
      assert.equal(err.sdpLineNumber, 2);
      assert.deepEqual(states, ['stable']);
      assert.equal(a.pendingLocalDescription, null);
    } finally {
      close();
    }
  });

  it('accepts descriptions without media sections (an offer of a connection with nothing in it yet)', async () => {
    const [a, b, close] = pair();
    try {
      const offer = await a.createOffer();
      assert.ok(!offer.sdp?.includes('m='));
      await b.setRemoteDescription(offer);
      await a.setLocalDescription(offer);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      assert.equal(a.signalingState, 'stable');
    } finally {
      close();
    }
  });

  it('refuses RTCP without mux (InvalidAccessError) even in an answer without a=mid, whose mids come from the offer', async () => {
    const [a, b, close] = pair();
    try {
      a.addTransceiver('audio', { direction: 'recvonly' });
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      const answer = b.localDescription!.sdp;
      const withoutMid = answer.replace(/a=mid:.*\r\n/g, '').replace(/a=group:BUNDLE.*\r\n/, '');
      const withoutMux = withoutMid.replace(/a=rtcp-mux\r\n/g, '');
      await assert.rejects(a.setRemoteDescription({ type: 'answer', sdp: withoutMux }), {
        name: 'InvalidAccessError',
      });
      await a.setRemoteDescription({ type: 'answer', sdp: withoutMid });
      assert.equal(a.signalingState, 'stable');
      assert.equal(a.getTransceivers()[0]!.currentDirection, 'recvonly');
    } finally {
      close();
    }
  });

  it('refuses two sections that carry the same track (a=msid) with OperationError', async () => {
    const [a, b, close] = pair();
    try {
      a.addTransceiver('video');
      const { sdp } = await a.createOffer();
      const [session, ...sections] = sdp!.split(/\r\n(?=m=)/);
      const duplicated = [session, sections[0], sections[0]!.replace('a=mid:', 'a=mid:x')].join('\r\n');
      assert.match(
        sections[0]!,
        /a=msid:- \S+/,
        'a sending section names its track even without one attached',
      );
      await assert.rejects(b.setRemoteDescription({ type: 'offer', sdp: duplicated }), {
        name: 'OperationError',
      });
      assert.equal(b.signalingState, 'stable');
    } finally {
      close();
    }
  });

  it('leaves an operation the close() interrupts pending, and rejects calls after close() at once', async () => {
    const [a, , close] = pair();
    try {
      const pending = a.createOffer();
      let settled = false;
      pending.then(
        () => (settled = true),
        () => (settled = true),
      );
      a.close();
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(settled, false, 'the W3C steps abort: the promise never settles');
      await assert.rejects(a.createOffer(), { name: 'InvalidStateError' });
      await assert.rejects(a.setRemoteDescription({ type: 'rollback' }), { name: 'InvalidStateError' });
    } finally {
      close();
    }
  });
});

describe('remote tracks', () => {
  it('start muted, unmute through the receive hook, and are muted when the peer stops sending', async () => {
    const [a, b, close] = pair();
    try {
      const t = a.addTransceiver('audio');
      const tracks: Event[] = [];
      b.ontrack = (e) => tracks.push(e);
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      assert.equal(tracks.length, 1);
      const track = b.getTransceivers()[0]!.receiver.track;
      assert.equal(track.muted, true, 'muted until media arrives (W3C)');
      const unmuted = nextEvent(track, 'unmute');
      track.setRemoteMuted(false);
      await unmuted;
      assert.equal(track.muted, false);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      t.direction = 'recvonly';
      const muted = nextEvent(track, 'mute');
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await muted;
      assert.equal(track.muted, true);
    } finally {
      close();
    }
  });
});
