/**
 * Data channel endpoints of every library under one small interface, for the benchmark (and interop):
 * tsrtc's RTCPeerConnection (ICE + DTLS + SCTP on the runtime's sockets, the path users get), tsrtc over
 * an in-memory DTLS pair, tsrtc's DTLS + SCTP over a bare connected UDP socket (no ICE), node-datachannel's
 * W3C polyfill, @roamhq/wrtc and werift. Each can connect in one process (`pair`) or across processes (`offer` /
 * `answer` with JSON signalling). The W3C peers exchange complete (non-trickle) SDP.
 */
import { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCSctpTransport } from '../../src/datachannel/sctp-transport.js';
import {
  RTCCertificate,
  RTCDtlsFingerprint,
  RTCDtlsParameters,
  RTCDtlsTransport,
} from '../../src/dtls/index.js';
import { RTCPeerConnection as TsrtcPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { memoryDtlsPair } from './memory-dtls.js';
import { UdpLink } from './udp-link.js';

export type Incoming = string | Uint8Array;

export interface BenchChannel {
  send(d: Incoming): void;
  readonly bufferedAmount: number;
  setBufferedAmountLow(threshold: number, cb: () => void): void;
  onMessage(cb: (d: Incoming) => void): void;
}

export interface ConnectedPair {
  tx: BenchChannel;
  close(): Promise<void>;
}

/** JSON messages between the two processes. */
export interface Signal {
  send(m: unknown): void;
  onMessage(l: (m: unknown) => void): void;
}

export type LibName = 'tsrtc-memory' | 'tsrtc-dtls' | 'tsrtc' | 'node-datachannel' | 'wrtc' | 'werift';
/** The libraries driven through their W3C RTCPeerConnection. */
type W3cLib = 'tsrtc' | 'node-datachannel' | 'wrtc' | 'werift';

/** The far end: counts bytes and answers `done`, or echoes binary messages back. */
export function respond(ch: BenchChannel): void {
  let mode: 'count' | 'echo' = 'count';
  let target = 0;
  let count = 0;
  ch.onMessage((d) => {
    if (typeof d === 'string') {
      if (d.startsWith('count:')) {
        mode = 'count';
        target = Number(d.slice(6));
        count = 0;
      } else if (d === 'echo') mode = 'echo';
      return;
    }
    if (mode === 'echo') {
      ch.send(d);
      return;
    }
    count += d.byteLength;
    if (count >= target) {
      ch.send(`done:${count}`);
      target = Number.POSITIVE_INFINITY;
    }
  });
}

function normalize(d: unknown): Incoming {
  if (typeof d === 'string') return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  throw new TypeError(`unexpected message type ${typeof d}`);
}

/** The W3C members the adapters use (tsrtc, node-datachannel polyfill and wrtc all have them). */
interface W3cChannel {
  binaryType: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  readyState: string;
  onbufferedamountlow: ((e: Event) => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onopen: ((e: Event) => void) | null;
  send(d: string | Uint8Array): void;
}

function w3c(dc: W3cChannel): BenchChannel {
  dc.binaryType = 'arraybuffer';
  return {
    send: (d) => dc.send(d),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    setBufferedAmountLow(t, cb) {
      dc.bufferedAmountLowThreshold = t;
      dc.onbufferedamountlow = () => cb();
    },
    onMessage(cb) {
      dc.onmessage = (e) => cb(normalize(e.data));
    },
  };
}

function tsrtcChannel(dc: RTCDataChannel): BenchChannel {
  dc.binaryType = 'arraybuffer';
  return {
    send: (d) => dc.send(d),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    setBufferedAmountLow(t, cb) {
      dc.bufferedAmountLowThreshold = t;
      dc.onbufferedamountlow = () => cb();
    },
    onMessage(cb) {
      dc.onmessage = (e) => cb(normalize(e.data));
    },
  };
}

function opened(dc: { readyState: string; onopen: ((e: Event) => void) | null }): Promise<void> {
  if (dc.readyState === 'open') return Promise.resolve();
  return new Promise((resolve) => {
    dc.onopen = () => resolve();
  });
}

async function until(test: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function nextSignal<T>(signal: Signal): Promise<T> {
  return new Promise((resolve) => {
    let done = false;
    signal.onMessage((m) => {
      if (!done) {
        done = true;
        resolve(m as T);
      }
    });
  });
}

// ---- tsrtc ----

async function tsrtcMemoryPair(): Promise<ConnectedPair> {
  const [a, b] = memoryDtlsPair();
  const sa = new RTCSctpTransport(a);
  const sb = new RTCSctpTransport(b);
  const caps = RTCSctpTransport.getCapabilities();
  await sa.start(caps, 5000);
  await sb.start(caps, 5000);
  const remote = new Promise<RTCDataChannel>((resolve) => {
    sb.ondatachannel = (e) => resolve(e.channel);
  });
  a.setState('connected');
  b.setState('connected');
  const tx = new RTCDataChannel(sa, { label: 'bench' });
  await tsrtcOpened(tx);
  respond(tsrtcChannel(await remote));
  return { tx: tsrtcChannel(tx), close: () => sa.stop() };
}

interface TsrtcOffer {
  port: number;
  fingerprints: { algorithm: string; value: string }[];
}

/** One tsrtc endpoint over DTLS on a UDP socket with 4 MiB buffers (no ICE): the offerer waits for its peer. */
function tsrtcOpened(dc: RTCDataChannel): Promise<void> {
  if (dc.readyState === 'open') return Promise.resolve();
  return new Promise((resolve) => dc.addEventListener('open', () => resolve(), { once: true }));
}

async function tsrtcEndpoint(
  role: 'controlling' | 'controlled',
  remote?: { port: number; fingerprints: { algorithm: string; value: string }[] },
): Promise<{ udp: UdpLink; dtls: RTCDtlsTransport; sctp: RTCSctpTransport; local: TsrtcOffer }> {
  const cert = await RTCCertificate.generateCertificate();
  const udp = await UdpLink.create(role, remote ? { address: '127.0.0.1', port: remote.port } : undefined);
  const dtls = new RTCDtlsTransport(udp, [cert]);
  const sctp = new RTCSctpTransport(dtls);
  const fingerprints = dtls
    .getLocalParameters()
    .fingerprints.map((f) => ({ algorithm: f.algorithm, value: f.value }));
  return { udp, dtls, sctp, local: { port: udp.localPort, fingerprints } };
}

function dtlsParams(fps: { algorithm: string; value: string }[]): RTCDtlsParameters {
  return new RTCDtlsParameters(fps.map((f) => new RTCDtlsFingerprint(f.algorithm, f.value)));
}

async function tsrtcConnect(
  e: Awaited<ReturnType<typeof tsrtcEndpoint>>,
  remoteFingerprints: { algorithm: string; value: string }[],
): Promise<void> {
  await e.sctp.start(RTCSctpTransport.getCapabilities(), 5000);
  await e.dtls.start(dtlsParams(remoteFingerprints));
  await until(() => e.sctp.state === 'connected', 'SCTP connected');
}

function tsrtcClose(e: Awaited<ReturnType<typeof tsrtcEndpoint>>): Promise<void> {
  return (async () => {
    await e.sctp.stop();
    await e.dtls.stop();
    e.udp.close();
  })();
}

async function tsrtcUdpPair(): Promise<ConnectedPair> {
  const a = await tsrtcEndpoint('controlling');
  const b = await tsrtcEndpoint('controlled', a.local);
  const remote = new Promise<RTCDataChannel>((resolve) => {
    b.sctp.ondatachannel = (e) => resolve(e.channel);
  });
  await Promise.all([tsrtcConnect(a, b.local.fingerprints), tsrtcConnect(b, a.local.fingerprints)]);
  const tx = new RTCDataChannel(a.sctp, { label: 'bench' });
  await tsrtcOpened(tx);
  respond(tsrtcChannel(await remote));
  return {
    tx: tsrtcChannel(tx),
    close: async () => {
      await tsrtcClose(a);
      await tsrtcClose(b);
    },
  };
}

async function tsrtcOffer(signal: Signal): Promise<ConnectedPair> {
  const a = await tsrtcEndpoint('controlling');
  const answer = nextSignal<TsrtcOffer>(signal);
  signal.send(a.local);
  const b = await answer;
  await tsrtcConnect(a, b.fingerprints);
  const tx = new RTCDataChannel(a.sctp, { label: 'bench' });
  await tsrtcOpened(tx);
  return { tx: tsrtcChannel(tx), close: () => tsrtcClose(a) };
}

async function tsrtcAnswer(signal: Signal): Promise<BenchChannel> {
  const offer = await nextSignal<TsrtcOffer>(signal);
  const b = await tsrtcEndpoint('controlled', offer);
  const remote = new Promise<RTCDataChannel>((resolve) => {
    b.sctp.ondatachannel = (e) => resolve(e.channel);
  });
  signal.send(b.local);
  await tsrtcConnect(b, offer.fingerprints);
  return tsrtcChannel(await remote);
}

// ---- W3C peers (node-datachannel polyfill, wrtc, werift) ----

interface W3cPeer {
  createDataChannel(label: string): unknown;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  createAnswer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp?: string }): Promise<void>;
  readonly localDescription: { type: string; sdp?: string } | null;
  readonly iceGatheringState: string;
  ondatachannel: ((e: { channel: unknown }) => void) | null;
  close(): void | Promise<void>;
}

type Sdp = { type: string; sdp: string };

async function makePeer(lib: W3cLib): Promise<W3cPeer> {
  if (lib === 'tsrtc') return new TsrtcPeerConnection({ iceLoopbackOnly: true }) as unknown as W3cPeer;
  if (lib === 'node-datachannel') {
    const { RTCPeerConnection } = await import('node-datachannel/polyfill');
    // bindAddress is a libdatachannel option the polyfill passes through; its typings do not list it.
    return Reflect.construct(RTCPeerConnection, [{ iceServers: [], bindAddress: '127.0.0.1' }]) as W3cPeer;
  }
  if (lib === 'wrtc') {
    const wrtc = (await import('@roamhq/wrtc')).default;
    return new wrtc.RTCPeerConnection({ iceServers: [] }) as unknown as W3cPeer;
  }
  const { RTCPeerConnection } = await import('werift');
  return new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'] }) as unknown as W3cPeer;
}

/** werift's channel: Buffer sends and an event object for bufferedamountlow. */
interface WeriftChannel {
  readyState: string;
  bufferedAmount: number;
  onmessage?: (e: { data: unknown }) => void;
  onopen?: () => void;
  send(d: Buffer | string): void;
}

/** @roamhq/wrtc does not fire bufferedamountlow here: poll its bufferedAmount instead. */
function polled(dc: W3cChannel): BenchChannel {
  const ch = w3c(dc);
  let timer: NodeJS.Timeout | undefined;
  return {
    ...ch,
    send: (d) => dc.send(d),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    setBufferedAmountLow(t, cb) {
      if (timer) clearInterval(timer);
      timer = setInterval(() => {
        if (dc.bufferedAmount <= t) cb();
      }, 1);
      timer.unref();
    },
  };
}

function adapt(lib: W3cLib, channel: unknown): BenchChannel {
  if (lib === 'wrtc') return polled(channel as W3cChannel);
  if (lib !== 'werift') return w3c(channel as W3cChannel);
  const dc = channel as WeriftChannel;
  let timer: NodeJS.Timeout | undefined;
  return {
    send: (d) => dc.send(typeof d === 'string' ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength)),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    setBufferedAmountLow(t, cb) {
      // Polled, as for wrtc: werift's bufferedAmountLow event proved unreliable for this pump.
      if (timer) clearInterval(timer);
      timer = setInterval(() => {
        if (dc.bufferedAmount <= t) cb();
      }, 1);
      timer.unref();
    },
    onMessage(cb) {
      dc.onmessage = (e) => cb(normalize(e.data));
    },
  };
}

function channelOpen(channel: unknown): Promise<void> {
  const dc = channel as { readyState: string; onopen: (() => void) | null };
  return opened(dc as { readyState: string; onopen: ((e: Event) => void) | null });
}

async function gathered(pc: W3cPeer): Promise<Sdp> {
  await until(() => pc.iceGatheringState === 'complete', 'ICE gathering');
  const d = pc.localDescription;
  if (!d?.sdp) throw new Error('no local description');
  return { type: d.type, sdp: d.sdp };
}

async function w3cOfferSide(lib: W3cLib, exchange: (offer: Sdp) => Promise<Sdp>) {
  const pc = await makePeer(lib);
  const dc = pc.createDataChannel('bench');
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await exchange(await gathered(pc));
  await pc.setRemoteDescription(answer);
  await channelOpen(dc);
  return { pc, tx: adapt(lib, dc) };
}

async function w3cAnswerSide(lib: W3cLib, offer: Sdp) {
  const pc = await makePeer(lib);
  const channel = new Promise<unknown>((resolve) => {
    pc.ondatachannel = (e) => resolve(e.channel);
  });
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  return { pc, answer: await gathered(pc), channel };
}

function w3cLib(lib: W3cLib) {
  return {
    async pair(): Promise<ConnectedPair> {
      let far: Awaited<ReturnType<typeof w3cAnswerSide>> | undefined;
      const near = await w3cOfferSide(lib, async (offer) => {
        far = await w3cAnswerSide(lib, offer);
        return far.answer;
      });
      const rx = await far!.channel;
      await channelOpen(rx);
      respond(adapt(lib, rx));
      // Keep the far channel referenced (node-datachannel closes collected channels).
      const keep = [rx];
      return {
        tx: near.tx,
        close: async () => {
          keep.length = 0;
          await near.pc.close();
          await far!.pc.close();
        },
      };
    },
    async offer(signal: Signal): Promise<ConnectedPair> {
      const near = await w3cOfferSide(lib, async (offer) => {
        const answer = nextSignal<Sdp>(signal);
        signal.send(offer);
        return answer;
      });
      return { tx: near.tx, close: async () => near.pc.close() };
    },
    async answer(signal: Signal): Promise<BenchChannel> {
      const offer = await nextSignal<Sdp>(signal);
      const far = await w3cAnswerSide(lib, offer);
      signal.send(far.answer);
      const rx = await far.channel;
      await channelOpen(rx);
      (globalThis as { benchKeep?: unknown[] }).benchKeep = [rx, far.pc];
      return adapt(lib, rx);
    },
  };
}

export const LIBRARIES: Record<
  LibName,
  {
    pair(): Promise<ConnectedPair>;
    offer(signal: Signal): Promise<ConnectedPair>;
    answer(signal: Signal): Promise<BenchChannel>;
  }
> = {
  'tsrtc-memory': {
    pair: tsrtcMemoryPair,
    offer: () => Promise.reject(new Error('in-process only')),
    answer: () => Promise.reject(new Error('in-process only')),
  },
  'tsrtc-dtls': { pair: tsrtcUdpPair, offer: tsrtcOffer, answer: tsrtcAnswer },
  tsrtc: w3cLib('tsrtc'),
  'node-datachannel': w3cLib('node-datachannel'),
  wrtc: w3cLib('wrtc'),
  werift: w3cLib('werift'),
};
