/**
 * createOffer's options as browsers still honour them (W3C §11.2.2, the legacy offerToReceiveAudio/Video),
 * and the mids of transceivers across offers that are created but not (yet) applied.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';

const config = { iceLoopbackOnly: true };
const sections = (sdp: string | undefined, kind: string): string[] =>
  (sdp ?? '').split(/\r\n(?=m=)/).filter((s) => s.startsWith(`m=${kind}`));
const direction = (section: string | undefined): string | undefined =>
  section?.match(/a=(sendrecv|sendonly|recvonly|inactive)/)?.[1];

describe('createOffer() legacy options and mids', () => {
  it('offerToReceiveAudio/Video add a recvonly transceiver when createOffer() is called', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      const offer = pc.createOffer({ offerToReceiveAudio: true, offerToReceiveVideo: true });
      // Before the operation runs: the transceivers exist at once.
      assert.deepEqual(
        pc.getTransceivers().map((t) => [t.receiver.track.kind, t.direction]),
        [
          ['audio', 'recvonly'],
          ['video', 'recvonly'],
        ],
      );
      const sdp = (await offer).sdp;
      assert.equal(direction(sections(sdp, 'audio')[0]), 'recvonly');
      assert.equal(direction(sections(sdp, 'video')[0]), 'recvonly');
      // A second offer with the options again adds nothing: a transceiver of each kind already receives.
      await pc.createOffer({ offerToReceiveAudio: true, offerToReceiveVideo: true });
      assert.equal(pc.getTransceivers().length, 2);
    } finally {
      pc.close();
    }
  });

  it('false turns sendrecv into sendonly and recvonly into inactive; the sections stay in later offers', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      const sendrecv = pc.addTransceiver('audio');
      const recvonly = pc.addTransceiver('audio', { direction: 'recvonly' });
      const video = pc.addTransceiver('video', { direction: 'recvonly' });
      const sdp = (await pc.createOffer({ offerToReceiveAudio: false })).sdp;
      assert.equal(sendrecv.direction, 'sendonly');
      assert.equal(recvonly.direction, 'inactive');
      assert.equal(video.direction, 'recvonly', 'the other kind is untouched');
      assert.deepEqual(sections(sdp, 'audio').map(direction), ['sendonly', 'inactive']);
      const again = (await pc.createOffer()).sdp;
      assert.equal(sections(again, 'audio').length, 2);
      assert.equal(sections(again, 'video').length, 1);
    } finally {
      pc.close();
    }
  });

  it('does not fire negotiationneeded for what the legacy options change', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      let fired = 0;
      pc.onnegotiationneeded = () => fired++;
      await pc.createOffer({ offerToReceiveAudio: true });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(fired, 0);
    } finally {
      pc.close();
    }
  });

  it('leaves transceiver.mid null until a description is applied, and offers it one mid throughout', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      const t = pc.addTransceiver('audio');
      const mid = (sdp: string | undefined) => sections(sdp, 'audio')[0]?.match(/a=mid:(\S+)/)?.[1];
      const first = await pc.createOffer();
      assert.equal(t.mid, null, 'createOffer does not set mid (W3C)');
      const second = await pc.createOffer();
      assert.equal(mid(second.sdp), mid(first.sdp));
      await pc.setLocalDescription(second);
      assert.equal(t.mid, mid(second.sdp));
      await pc.setLocalDescription({ type: 'rollback' });
      assert.equal(t.mid, null, 'rollback takes the mid away again');
    } finally {
      pc.close();
    }
  });

  it('refuses options that are not a dictionary, before anything changes', async () => {
    const pc = new RTCPeerConnection(config);
    try {
      await assert.rejects(pc.createOffer(7 as never), TypeError);
      assert.equal(pc.getTransceivers().length, 0);
    } finally {
      pc.close();
    }
  });
});
