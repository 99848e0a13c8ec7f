/**
 * Real SDP from the three npm peers (node-datachannel, @roamhq/wrtc, werift): offers and answers with data,
 * with audio + video + data, and (libwebrtc) simulcast; each before gathering (trickle) and after (complete,
 * candidates inside). Used by generate-fixtures.ts to write test/sdp/fixtures/, and by the live test.
 * Run inside netns.sh: the peers gather loopback candidates only.
 */

type SdpInit = { type: string; sdp?: string };

/** The W3C surface the generator drives, which @roamhq/wrtc and werift both offer. */
export interface W3cPeer {
  createDataChannel(label: string): unknown;
  addTransceiver(kind: string, init?: object): unknown;
  createOffer(): Promise<SdpInit>;
  createAnswer(): Promise<SdpInit>;
  setLocalDescription(d: SdpInit): Promise<void>;
  setRemoteDescription(d: SdpInit): Promise<void>;
  readonly localDescription: SdpInit | null;
  readonly iceGatheringState: string;
  getTransceivers(): { readonly currentDirection?: string | null; readonly mid: string | null }[];
  close(): void | Promise<void>;
}

export type PeerName = 'node-datachannel' | 'wrtc' | 'werift';

/** name (without `.sdp`) → SDP text */
export type SdpSamples = Map<string, string>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(test: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function sdpOf(d: SdpInit | null, what: string): string {
  if (!d?.sdp) throw new Error(`no SDP for ${what}`);
  return d.sdp;
}

type Scenario = 'data' | 'av-data' | 'simulcast';

function setUp(pc: W3cPeer, scenario: Scenario): void {
  if (scenario === 'simulcast') {
    pc.addTransceiver('video', {
      direction: 'sendonly',
      sendEncodings: [
        { rid: 'q', scaleResolutionDownBy: 4 },
        { rid: 'h', scaleResolutionDownBy: 2 },
        { rid: 'f' },
      ],
    });
    return;
  }
  if (scenario === 'av-data') {
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    pc.addTransceiver('video', { direction: 'sendrecv' });
  }
  pc.createDataChannel('chat');
}

/** Offer and answer between two peers of one W3C stack, each before and after gathering. */
async function w3cSamples(
  prefix: string,
  make: () => Promise<W3cPeer>,
  scenarios: Scenario[],
  out: SdpSamples,
): Promise<void> {
  for (const scenario of scenarios) {
    const offerer = await make();
    const answerer = await make();
    try {
      setUp(offerer, scenario);
      const offer = await offerer.createOffer();
      await offerer.setLocalDescription(offer);
      out.set(`${prefix}-${scenario}-offer`, sdpOf(offer, 'offer'));
      await until(() => offerer.iceGatheringState === 'complete', `${prefix} offerer gathering`);
      const gatheredOffer = sdpOf(offerer.localDescription, 'gathered offer');
      out.set(`${prefix}-${scenario}-offer-gathered`, gatheredOffer);
      await answerer.setRemoteDescription({ type: 'offer', sdp: gatheredOffer });
      const answer = await answerer.createAnswer();
      await answerer.setLocalDescription(answer);
      out.set(`${prefix}-${scenario}-answer`, sdpOf(answer, 'answer'));
      await until(() => answerer.iceGatheringState === 'complete', `${prefix} answerer gathering`);
      out.set(`${prefix}-${scenario}-answer-gathered`, sdpOf(answerer.localDescription, 'gathered answer'));
    } finally {
      await offerer.close();
      await answerer.close();
    }
  }
}

/** A fresh peer connection of a W3C-style npm stack, configured for loopback. */
export async function createW3cPeer(peer: 'wrtc' | 'werift'): Promise<W3cPeer> {
  if (peer === 'wrtc') {
    const wrtc = (await import('@roamhq/wrtc')).default;
    return new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as W3cPeer;
  }
  const { RTCPeerConnection } = await import('werift');
  return new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'] }) as unknown as W3cPeer;
}

/** libdatachannel through node-datachannel's own API (its polyfill has no media). */
async function nodeDatachannelSamples(out: SdpSamples): Promise<void> {
  const ndc = (await import('node-datachannel')).default;
  for (const scenario of ['data', 'av-data'] as const) {
    const offerer = new ndc.PeerConnection('offerer', { iceServers: [], bindAddress: '127.0.0.1' });
    const answerer = new ndc.PeerConnection('answerer', { iceServers: [], bindAddress: '127.0.0.1' });
    try {
      let firstOffer: string | undefined;
      offerer.onLocalDescription((sdp) => {
        firstOffer ??= sdp;
      });
      let firstAnswer: string | undefined;
      answerer.onLocalDescription((sdp) => {
        firstAnswer ??= sdp;
      });
      if (scenario === 'av-data') {
        const audio = new ndc.Audio('0', 'SendRecv');
        audio.addOpusCodec(111);
        audio.addSSRC(1111, 'cname-a', 'stream', 'audio-track');
        offerer.addTrack(audio);
        const video = new ndc.Video('1', 'SendRecv');
        video.addH264Codec(102);
        video.addVP8Codec(96);
        video.addRTXCodec(97, 96, 90000);
        video.addSSRC(2222, 'cname-a', 'stream', 'video-track');
        offerer.addTrack(video);
      }
      offerer.createDataChannel('chat');
      await until(() => firstOffer !== undefined, 'node-datachannel offer');
      out.set(`node-datachannel-${scenario}-offer`, firstOffer!);
      await until(() => offerer.gatheringState() === 'complete', 'node-datachannel offerer gathering');
      const gatheredOffer = sdpOf(offerer.localDescription(), 'gathered offer');
      out.set(`node-datachannel-${scenario}-offer-gathered`, gatheredOffer);
      answerer.setRemoteDescription(gatheredOffer, 'offer');
      await until(() => firstAnswer !== undefined, 'node-datachannel answer');
      out.set(`node-datachannel-${scenario}-answer`, firstAnswer!);
      await until(() => answerer.gatheringState() === 'complete', 'node-datachannel answerer gathering');
      out.set(`node-datachannel-${scenario}-answer-gathered`, sdpOf(answerer.localDescription(), 'answer'));
    } finally {
      offerer.close();
      answerer.close();
    }
  }
}

/** Collect every sample of one peer. */
export async function peerSamples(peer: PeerName): Promise<SdpSamples> {
  const out: SdpSamples = new Map();
  if (peer === 'node-datachannel') await nodeDatachannelSamples(out);
  else if (peer === 'wrtc')
    await w3cSamples('wrtc', () => createW3cPeer('wrtc'), ['data', 'av-data', 'simulcast'], out);
  else await w3cSamples('werift', () => createW3cPeer('werift'), ['data', 'av-data'], out);
  return out;
}

/** What a peer did with our JSEP output. */
export interface PeerExchange {
  /** The peer's offer, to which `ourAnswer` answered. */
  theirOffer: string;
  /** currentDirection of the peer's audio/video transceivers after our answer (W3C peers only). */
  currentDirections: (string | null)[];
  /** The peer's answer to our offer. */
  theirAnswer: string;
}

/** Offer from the peer → our answer; our offer → the peer's answer. */
export async function peerExchange(
  peer: PeerName,
  ourAnswer: (offer: string) => string,
  ourOffer: string,
): Promise<PeerExchange> {
  if (peer === 'node-datachannel') {
    const ndc = (await import('node-datachannel')).default;
    const offerer = new ndc.PeerConnection('offerer', { iceServers: [], bindAddress: '127.0.0.1' });
    const answerer = new ndc.PeerConnection('answerer', { iceServers: [], bindAddress: '127.0.0.1' });
    try {
      let theirOffer: string | undefined;
      offerer.onLocalDescription((sdp) => {
        theirOffer ??= sdp;
      });
      offerer.createDataChannel('chat');
      await until(() => theirOffer !== undefined, 'node-datachannel offer');
      offerer.setRemoteDescription(ourAnswer(theirOffer!), 'answer');
      if (offerer.signalingState() !== 'stable')
        throw new Error('node-datachannel did not accept our answer');
      let theirAnswer: string | undefined;
      answerer.onLocalDescription((sdp, type) => {
        if (type === 'answer') theirAnswer ??= sdp;
      });
      answerer.setRemoteDescription(ourOffer, 'offer');
      await until(() => theirAnswer !== undefined, 'node-datachannel answer');
      return { theirOffer: theirOffer!, currentDirections: [], theirAnswer: theirAnswer! };
    } finally {
      offerer.close();
      answerer.close();
    }
  }
  const offerer = await createW3cPeer(peer);
  const answerer = await createW3cPeer(peer);
  try {
    offerer.addTransceiver('audio', { direction: 'sendrecv' });
    offerer.addTransceiver('video', { direction: 'sendrecv' });
    offerer.createDataChannel('chat');
    const offer = await offerer.createOffer();
    await offerer.setLocalDescription(offer);
    const theirOffer = sdpOf(offer, 'offer');
    await offerer.setRemoteDescription({ type: 'answer', sdp: ourAnswer(theirOffer) });
    const currentDirections = offerer
      .getTransceivers()
      .filter((t) => t.mid === '0' || t.mid === '1')
      .map((t) => t.currentDirection ?? null);
    await answerer.setRemoteDescription({ type: 'offer', sdp: ourOffer });
    const answer = await answerer.createAnswer();
    await answerer.setLocalDescription(answer);
    return { theirOffer, currentDirections, theirAnswer: sdpOf(answer, 'answer') };
  } finally {
    await offerer.close();
    await answerer.close();
  }
}
