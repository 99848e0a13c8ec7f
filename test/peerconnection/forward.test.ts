/**
 * A tsrtc publisher → a tsrtc forwarder (receives and forwards, decodes nothing) → tsrtc subscribers, on
 * loopback, content-checked at every subscriber: layer switching with a simulcast publisher (sizes follow
 * the chosen layer, timestamps stay continuous), keyframe requests routed from a subscriber to the publisher,
 * NACKs answered from the forwarding connection's own history, a subscriber that does not read falling behind
 * without slowing the others, and a switch to another publisher with continuous timestamps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isNodeAvAvailable } from '../../src/media/codecs/node-av.js';
import type { VideoFrame } from '../../src/media/video-frame.js';
import { type ForwardedTrack, MediaForwarder } from '../../src/peerconnection/forwarding.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { type RTCRtpReceiver, RTCRtpSender } from '../../src/peerconnection/transceiver.js';
import { mediaOutageRuntime } from '../interop/lossy-runtime.js';
import { QuadrantTrack } from '../media/sources.js';
import { config, connect, pictureOfSize, recvWithin, statsOf } from './simulcast-peers.js';

const LAYERS = [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }];
const VP8 = () => RTCRtpSender.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/VP8');

interface Subscriber {
  pc: RTCPeerConnection;
  /** The forwarder's side of this subscriber's connection. */
  edge: RTCPeerConnection;
  track: ForwardedTrack;
  receiver: RTCRtpReceiver;
}

/** A publisher with a QuadrantTrack; the forwarder's connection receiving it. */
async function publish(
  width: number,
  height: number,
  sendEncodings?: typeof LAYERS,
): Promise<{
  pc: RTCPeerConnection;
  edge: RTCPeerConnection;
  source: QuadrantTrack;
  receiver: RTCRtpReceiver;
}> {
  const pc = new RTCPeerConnection(config);
  const edge = new RTCPeerConnection(config);
  const source = new QuadrantTrack(width, height);
  const t = pc.addTransceiver(source, { direction: 'sendonly', ...(sendEncodings ? { sendEncodings } : {}) });
  t.setCodecPreferences(VP8());
  let receiver: RTCRtpReceiver | undefined;
  edge.ontrack = (e) => {
    receiver = e.receiver;
  };
  await connect(pc, edge);
  assert.ok(receiver);
  return { pc, edge, source, receiver };
}

async function subscribe(
  forwarder: MediaForwarder,
  layer: string | null,
  blocked?: () => boolean,
): Promise<Subscriber> {
  const edge = new RTCPeerConnection(config);
  const pc = new RTCPeerConnection(config, blocked ? { runtime: mediaOutageRuntime(blocked) } : {});
  const track = forwarder.subscribe({ layer });
  edge.addTransceiver(track, { direction: 'sendonly' }).setCodecPreferences(VP8());
  let receiver: RTCRtpReceiver | undefined;
  pc.ontrack = (e) => {
    receiver = e.receiver;
  };
  await connect(edge, pc);
  assert.ok(receiver);
  return { pc, edge, track, receiver };
}

/** Frames read from a track with when they were read (ms). */
type Timed = { frame: VideoFrame; at: number };

/**
 * Decoded pts go forward, and across the switch (the first frame of another size) by no more than the time
 * between reading the two frames plus `slack` seconds: the switch neither jumps back nor leaps forward
 * (without rebasing, a new publisher's pts start from an origin of their own).
 */
function assertContinuous(frames: Timed[], slack = 0.3): void {
  const pts = (t: Timed) => Number(t.frame.timeBase!.mul(t.frame.pts!));
  for (let i = 1; i < frames.length; i++) {
    const a = pts(frames[i - 1]!);
    const b = pts(frames[i]!);
    assert.ok(b > a, `pts ${a.toFixed(3)} → ${b.toFixed(3)} s`);
  }
  const k = frames.findIndex((f) => f.frame.width !== frames[0]!.frame.width);
  assert.ok(k > 0, 'the switch is in the frames');
  const gap = pts(frames[k]!) - pts(frames[k - 1]!);
  const waited = (frames[k]!.at - frames[k - 1]!.at) / 1000;
  assert.ok(
    gap <= waited + slack,
    `pts moved ${gap.toFixed(3)} s across the switch, read ${waited.toFixed(3)} s apart`,
  );
}

describe('forwarding without decoding', { concurrency: false }, () => {
  let nodeAv = false;
  let publisher: Awaited<ReturnType<typeof publish>>;
  let forwarder: MediaForwarder;
  const subscribers: Subscriber[] = [];
  let lossy = false;
  let received = 0;

  before(async () => {
    nodeAv = await isNodeAvAvailable();
    if (!nodeAv) return;
    publisher = await publish(320, 240, LAYERS);
    forwarder = new MediaForwarder(publisher.receiver);
    subscribers.push(await subscribe(forwarder, null));
    subscribers.push(await subscribe(forwarder, null));
    // The third subscriber's link loses every 12th media packet while `lossy` holds.
    subscribers.push(await subscribe(forwarder, 'h', () => lossy && ++received % 12 === 0));
  });

  after(() => {
    for (const s of subscribers) {
      s.pc.close();
      s.edge.close();
    }
    forwarder?.close();
    publisher?.source.stop();
    publisher?.pc.close();
    publisher?.edge.close();
  });

  it('every subscriber gets its layer with the colours; the forwarder decodes nothing', async (t) => {
    if (!nodeAv) return t.skip('node-av is not installed');
    await pictureOfSize(subscribers[0]!.receiver.track, 320, 240);
    await pictureOfSize(subscribers[1]!.receiver.track, 320, 240);
    await pictureOfSize(subscribers[2]!.receiver.track, 160, 120);
    assert.deepEqual(forwarder.rids, ['q', 'h', 'f']);
    assert.equal(subscribers[0]!.track.layer, 'f');
    assert.equal(subscribers[2]!.track.layer, 'h');
    const inbound = statsOf(await publisher.edge.getStats(), 'inbound-rtp');
    assert.equal(inbound.length, 3);
    for (const s of inbound) {
      assert.ok((s.packetsReceived as number) > 0);
      assert.equal(s.framesDecoded, 0, `layer ${s.rid} was not decoded`);
      assert.equal(s.decoderImplementation, undefined, 'no decoder was opened');
    }
    // The forwarding connections re-payload on SSRCs of their own.
    const out = statsOf(await subscribers[0]!.edge.getStats(), 'outbound-rtp')[0]!;
    assert.ok((out.framesSent as number) > 0);
    assert.equal(out.encoderImplementation, undefined, 'no encoder either');
  });

  it('switches layers at keyframes with continuous timestamps', async (t) => {
    if (!nodeAv) return t.skip('node-av is not installed');
    const s = subscribers[0]!;
    await pictureOfSize(s.receiver.track, 320, 240);
    s.track.setLayer('q');
    const frames: Timed[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const f = await recvWithin<VideoFrame>(s.receiver.track, 5000);
      frames.push({ frame: f, at: Date.now() });
      if (frames.filter((x) => x.frame.width === 80).length >= 5) break;
    }
    assert.equal(frames.at(-1)!.frame.width, 80, 'the subscriber now decodes the 80×60 layer');
    assert.equal(s.track.layer, 'q');
    assertContinuous(frames);
    await pictureOfSize(s.receiver.track, 80, 60);
    s.track.setLayer(null);
    await pictureOfSize(s.receiver.track, 320, 240, 10_000);
    assert.ok(s.track.stats.switches >= 2);
    // The other subscriber stayed on the top layer all along.
    await pictureOfSize(subscribers[1]!.receiver.track, 320, 240);
  });

  it("routes a subscriber's keyframe request to the publisher, coalesced", async (t) => {
    if (!nodeAv) return t.skip('node-av is not installed');
    const s = subscribers[1]!;
    const pli = async () =>
      statsOf(await publisher.pc.getStats(), 'outbound-rtp').find((o) => o.rid === 'f')!.pliCount as number;
    const keyframes = async () =>
      statsOf(await s.pc.getStats(), 'inbound-rtp')[0]!.keyFramesDecoded as number;
    const pliBefore = await pli();
    const keyBefore = await keyframes();
    const sentBefore = forwarder.stats.keyframeRequestsSent;
    s.receiver.layers.requestKeyframe(); // the subscriber's decoder wants one: PLI to the forwarder
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && ((await pli()) === pliBefore || (await keyframes()) === keyBefore))
      await new Promise((r) => setTimeout(r, 50));
    assert.ok((await pli()) > pliBefore, 'the publisher got a PLI for its top layer');
    assert.ok((await keyframes()) > keyBefore, 'the subscriber decoded a new keyframe');
    assert.ok(forwarder.stats.keyframeRequestsSent > sentBefore);
    // A burst of requests within the interval reaches the publisher once.
    const coalescedBefore = forwarder.stats.keyframeRequestsCoalesced;
    for (let i = 0; i < 5; i++) s.track.requestKeyframe();
    assert.ok(forwarder.stats.keyframeRequestsCoalesced >= coalescedBefore + 4);
  });

  it("answers a subscriber's NACKs from the forwarding connection's history", async (t) => {
    if (!nodeAv) return t.skip('node-av is not installed');
    const s = subscribers[2]!;
    const publisherNacks = async () =>
      statsOf(await publisher.pc.getStats(), 'outbound-rtp').reduce((n, o) => n + (o.nackCount as number), 0);
    const before = await publisherNacks();
    // Lossy until a NACK was answered (about a second at 30 frames/s; longer when a loaded machine slows the
    // publisher's encoder), bounded only against a hang.
    lossy = true;
    const deadline = Date.now() + 20_000;
    let out = statsOf(await s.edge.getStats(), 'outbound-rtp')[0]!;
    while (
      Date.now() < deadline &&
      !((out.nackCount as number) > 0 && (out.retransmittedPacketsSent as number) > 0)
    ) {
      await new Promise((r) => setTimeout(r, 100));
      out = statsOf(await s.edge.getStats(), 'outbound-rtp')[0]!;
    }
    lossy = false;
    assert.ok((out.nackCount as number) > 0, 'the subscriber NACKed the forwarder');
    assert.ok((out.retransmittedPacketsSent as number) > 0, 'the forwarder retransmitted from its history');
    assert.equal(await publisherNacks(), before, 'the publisher saw none of it');
    await pictureOfSize(s.receiver.track, 160, 120);
  });

  it('a subscriber that does not read falls behind alone and resumes at a keyframe', async (t) => {
    if (!nodeAv) return t.skip('node-av is not installed');
    const idle = forwarder.subscribe({ layer: 'q', maxQueue: 10 });
    // More than 10 frames arrive unread: about 0.4 s at 30 frames/s, longer on a loaded machine.
    const deadline = Date.now() + 20_000;
    while (idle.stats.framesDroppedBehind === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(idle.stats.framesDroppedBehind > 0, 'its backlog was dropped');
    await pictureOfSize(subscribers[1]!.receiver.track, 320, 240, 5000); // the others went on
    const first = await recvWithin<{ keyframe: boolean }>(idle, 5000);
    assert.equal(first.keyframe, true, 'it resumes at a keyframe');
    idle.stop();
    assert.equal(forwarder.subscriberCount, 3);
  });

  it('switches to another publisher with continuous timestamps', async (t) => {
    if (!nodeAv) return t.skip('node-av is not installed');
    const other = await publish(240, 180);
    try {
      const s = subscribers[1]!;
      await pictureOfSize(s.receiver.track, 320, 240);
      forwarder.setSource(other.receiver);
      const frames: Timed[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const f = await recvWithin<VideoFrame>(s.receiver.track, 5000);
        frames.push({ frame: f, at: Date.now() });
        if (frames.filter((x) => x.frame.width === 240).length >= 5) break;
      }
      assert.equal(frames.at(-1)!.frame.width, 240, 'the new publisher is seen');
      assertContinuous(frames);
      await pictureOfSize(s.receiver.track, 240, 180);
      forwarder.setSource(publisher.receiver);
    } finally {
      other.source.stop();
      other.pc.close();
      other.edge.close();
    }
  });
});
