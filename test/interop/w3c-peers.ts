/**
 * The npm WebRTC stacks we interoperate with, behind the W3C API they each expose, configured for
 * loopback only: node-datachannel (libdatachannel + usrsctp), @roamhq/wrtc (libwebrtc) and werift.
 */

/** The part of the W3C RTCPeerConnection surface the interop tests use. */
export interface W3cPeer {
  createDataChannel(label: string, init?: Record<string, unknown>): W3cChannel;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  createAnswer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d?: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp?: string }): Promise<void>;
  addIceCandidate(c: unknown): Promise<void>;
  readonly localDescription: { type: string; sdp: string } | null;
  readonly connectionState: string;
  readonly iceGatheringState: string;
  close(): void | Promise<void>;
  addEventListener(type: string, listener: (e: never) => void): void;
}

export interface W3cChannel {
  readonly label: string;
  readonly readyState: string;
  readonly protocol: string;
  readonly ordered: boolean;
  readonly maxRetransmits: number | null;
  readonly maxPacketLifeTime: number | null;
  binaryType: string;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(): void;
  addEventListener(type: string, listener: (e: never) => void): void;
}

export interface PeerFactory {
  readonly name: string;
  create(): Promise<W3cPeer>;
  /** Largest message the stack accepts in one send() (its advertised limit). */
  readonly maxMessageSize: number;
  /** Whether a channel the peer opened reports its real ordered/maxRetransmits values. */
  readonly reportsRemoteReliability: boolean;
  /** Whether the stack can send empty messages (werift 0.25 sends no chunk for '' yet consumes a stream
   * sequence number, so every later message on that channel stalls, whoever the peer is). */
  readonly sendsEmptyMessages: boolean;
  /** werift 0.25 drops the unordered bit from DATA_CHANNEL_OPEN when a channel is partially reliable. */
  readonly announcesUnorderedPartialReliability: boolean;
}

export const NODE_DATACHANNEL: PeerFactory = {
  name: 'node-datachannel',
  maxMessageSize: 65_536,
  reportsRemoteReliability: false,
  sendsEmptyMessages: true,
  announcesUnorderedPartialReliability: true,
  async create() {
    const { RTCPeerConnection } = await import('node-datachannel/polyfill');
    return new RTCPeerConnection({ iceServers: [], bindAddress: '127.0.0.1' } as never) as unknown as W3cPeer;
  },
};

export const ROAMHQ_WRTC: PeerFactory = {
  name: '@roamhq/wrtc',
  maxMessageSize: 262_144,
  reportsRemoteReliability: true,
  sendsEmptyMessages: true,
  announcesUnorderedPartialReliability: true,
  async create() {
    const mod = (await import('@roamhq/wrtc')) as {
      default?: { RTCPeerConnection: new (c: unknown) => W3cPeer };
    };
    const wrtc = mod.default ?? (mod as unknown as { RTCPeerConnection: new (c: unknown) => W3cPeer });
    return new wrtc.RTCPeerConnection({ iceServers: [] });
  },
};

export const WERIFT: PeerFactory = {
  name: 'werift',
  maxMessageSize: 65_536,
  reportsRemoteReliability: true,
  sendsEmptyMessages: false,
  announcesUnorderedPartialReliability: false,
  async create() {
    const { RTCPeerConnection } = await import('werift');
    return new RTCPeerConnection({
      iceAdditionalHostAddresses: ['127.0.0.1'],
    } as never) as unknown as W3cPeer;
  },
};

/**
 * @roamhq/wrtc 0.10 can abort the process in its N-API finalizers when Node frees the environment after
 * it was used with media (v8 "Cannot create a handle without a HandleScope", SIGTRAP) — after every test
 * passed. Call from an `after()` hook: the process then leaves without that teardown (the results are
 * already written; stdout pipes are synchronous), keeping its exit code.
 */
export function exitWithoutNativeTeardown(): void {
  process.once('exit', (code) => (process as unknown as { reallyExit(code: number): void }).reallyExit(code));
}
