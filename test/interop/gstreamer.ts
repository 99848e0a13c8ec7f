/**
 * GStreamer 1.22 webrtcbin as a child process (test/interop/gst/peer.py under Debian's /usr/bin/python3 with gi),
 * signaled with one JSON object a line over stdin/stdout: descriptions and trickle candidates both ways, data
 * channel orders, and the measurements of what GStreamer decoded (quadrant colours, tone frequency).
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { QUADRANTS } from '../media/sources.js';

export const PYTHON = '/usr/bin/python3';
const PEER_SCRIPT = fileURLToPath(new URL('./gst/peer.py', import.meta.url));

/** The Debian packages the GStreamer peer needs (also in .ci/run). */
export const GSTREAMER_PACKAGES =
  'gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-nice ' +
  'gstreamer1.0-libav gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0 gir1.2-nice-0.1 python3-gst-1.0';

const ELEMENTS = [
  'webrtcbin',
  'nicesrc',
  'sctpenc',
  'dtlssrtpenc',
  'compositor',
  'videotestsrc',
  'audiotestsrc',
  'vp8enc',
  'vp9enc',
  'openh264enc',
  'opusenc',
  'mulawenc',
  'decodebin',
  'appsink',
];

const PROBE = `
import gi
for ns in ('Gst', 'GstWebRTC', 'GstSdp', 'GstVideo'): gi.require_version(ns, '1.0')
gi.require_version('Nice', '0.1')
from gi.repository import Gst, GstWebRTC, GstSdp, GstVideo, Nice
Gst.init(None)
missing = [e for e in ${JSON.stringify(ELEMENTS)} if Gst.ElementFactory.find(e) is None]
print(' '.join(missing))
`;

let cachedSkip: string | undefined | null = null;

/** Undefined when the peer can run; else why not (a missing GStreamer fails in CI, skips locally). */
export function gstreamerSkipReason(): string | undefined {
  if (cachedSkip !== null) return cachedSkip;
  const probe = spawnSync(PYTHON, ['-c', PROBE], { encoding: 'utf8', timeout: 30_000 });
  let reason: string | undefined;
  if (probe.error || probe.status !== 0)
    reason = `GStreamer's Python bindings are missing (${(probe.error?.message ?? probe.stderr).trim().split('\n').at(-1)})`;
  else if (probe.stdout.trim()) reason = `GStreamer elements missing: ${probe.stdout.trim()}`;
  if (reason) {
    reason += `: apt-get install -y ${GSTREAMER_PACKAGES}`;
    if (process.env.CI) throw new Error(reason);
  }
  cachedSkip = reason;
  return reason;
}

export type GstCodec = 'VP8' | 'VP9' | 'H264' | 'OPUS' | 'PCMU';

export interface GstChannelConfig {
  label: string;
  ordered?: boolean;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
}

export interface GstPeerConfig {
  role: 'offer' | 'answer';
  /** webrtcbin's bundle-policy (default max-bundle here); 'default' leaves webrtcbin's own (none). */
  bundle?: 'max-bundle' | 'max-compat' | 'balanced' | 'none' | 'default';
  send?: { codec: GstCodec }[];
  recv?: { codec: GstCodec }[];
  channels?: GstChannelConfig[];
}

/** Everything the Python side reports, as one loose record (fields depend on `event`). */
export interface GstMessage {
  type?: 'offer' | 'answer';
  sdp?: string;
  candidate?: string;
  sdpMLineIndex?: number;
  event?: string;
  label?: string;
  remote?: boolean;
  ordered?: boolean;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
  text?: boolean;
  length?: number;
  sha256?: string;
  media?: string;
  encoding?: string;
  name?: string;
  width?: number;
  height?: number;
  quadrants?: [number, number, number][];
  frequency?: number;
  peak?: number;
  message?: string;
  connection?: string;
  ice?: string;
}

export interface Negotiated {
  offer: string;
  answer: string;
}

/** The fmtp parameters of the first payload type of `codec` in an SDP (empty when it has none). */
export function fmtpOf(sdp: string, codec: string): Record<string, string> {
  const pt = new RegExp(`^a=rtpmap:(\\d+) ${codec}/`, 'im').exec(sdp)?.[1];
  const line = pt === undefined ? undefined : new RegExp(`^a=fmtp:${pt} (.*)$`, 'm').exec(sdp)?.[1];
  return Object.fromEntries(
    (line ?? '')
      .split(';')
      .filter(Boolean)
      .map((kv) => kv.trim().split('=') as [string, string]),
  );
}

export class GstPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  readonly log: GstMessage[] = [];
  private waiters: { match: (m: GstMessage) => boolean; resolve: (m: GstMessage) => void }[] = [];
  private readonly listeners: ((m: GstMessage) => void)[] = [];
  private stderr = '';
  /** GStreamer's candidates wait for tsrtc's remote description (addIceCandidate rejects before it). */
  private remoteApplied!: () => void;
  private readonly remoteSet = new Promise<void>((resolve) => {
    this.remoteApplied = resolve;
  });
  private exited = false;
  /** close() has begun: nothing more is written to the peer. */
  private closing = false;

  constructor(config: GstPeerConfig) {
    this.child = spawn(PYTHON, [PEER_SCRIPT, JSON.stringify(config)], {
      env: { ...process.env, GST_DEBUG: process.env.GST_DEBUG ?? '1' },
    });
    // A write the peer can no longer read (EPIPE) once close() began or the process exited is expected and
    // dropped; before that the peer died under the test, which fails it.
    this.child.stdin.on('error', (error) => {
      if (!this.closing && !this.exited) throw error;
    });
    let buffered = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) this.received(JSON.parse(line) as GstMessage);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-8000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.received({ event: 'exit', message: `GStreamer peer exited (${signal ?? code})` });
    });
  }

  private received(m: GstMessage): void {
    this.log.push(m); // unbounded: a test runs seconds, a few measurements a second
    for (const l of this.listeners) l(m);
    for (const w of [...this.waiters])
      if (w.match(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
  }

  send(message: Record<string, unknown>): void {
    if (!this.exited && !this.closing) this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** The first message (already logged or still to come) that `match` accepts. */
  next(match: (m: GstMessage) => boolean, what: string, ms = 20_000): Promise<GstMessage> {
    const seen = this.log.find(match);
    if (seen) return Promise.resolve(seen);
    return this.upcoming(match, what, ms);
  }

  /** The next message from now on that `match` accepts. */
  upcoming(match: (m: GstMessage) => boolean, what: string, ms = 20_000): Promise<GstMessage> {
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error(`GStreamer: waiting for ${what} but the peer exited\n${this.diagnostics()}`));
        return;
      }
      const waiter = {
        match: (m: GstMessage) => match(m) || m.event === 'exit',
        resolve: (m: GstMessage) => {
          clearTimeout(timer);
          if (m.event === 'exit' && !match(m))
            reject(new Error(`GStreamer: waiting for ${what} but the peer exited\n${this.diagnostics()}`));
          else resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`GStreamer: timed out waiting for ${what}\n${this.diagnostics()}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** The last events and stderr, for a failure message. */
  diagnostics(): string {
    const events = this.log
      .filter((m) => m.event !== 'video' && m.event !== 'audio' && !m.candidate)
      .slice(-15)
      .map((m) => JSON.stringify(m).slice(0, 300));
    const last = [...this.log].reverse();
    const video = last.find((m) => m.event === 'video');
    const audio = last.find((m) => m.event === 'audio');
    return [
      ...events,
      video ? `last video: ${JSON.stringify(video)}` : 'no video measured',
      audio ? `last audio: ${JSON.stringify(audio)}` : 'no audio measured',
      `stderr: ${this.stderr.slice(-2000)}`,
    ].join('\n');
  }

  /** Trickle: our candidates to GStreamer, GStreamer's to us. */
  wire(pc: RTCPeerConnection): void {
    pc.onicecandidate = (e) => {
      if (e.candidate?.candidate)
        this.send({ candidate: e.candidate.candidate, sdpMLineIndex: e.candidate.sdpMLineIndex ?? 0 });
    };
    const forward = (m: GstMessage): void => {
      const candidate = m.candidate;
      if (candidate)
        void this.remoteSet
          .then(() => pc.addIceCandidate({ candidate, sdpMLineIndex: m.sdpMLineIndex ?? 0 }))
          .catch((e: unknown) => this.log.push({ event: 'tsrtc-error', message: String(e) }));
    };
    for (const m of this.log) forward(m);
    this.listeners.push(forward);
  }

  /** GStreamer offers, tsrtc answers (after `beforeAnswer`, e.g. addTrack on the transceiver the offer made). */
  async answerIts(pc: RTCPeerConnection, beforeAnswer?: () => void): Promise<Negotiated> {
    const offer = await this.next((m) => m.type === 'offer', 'the offer');
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp! });
    this.remoteApplied();
    beforeAnswer?.();
    await pc.setLocalDescription();
    this.send({ type: 'answer', sdp: pc.localDescription!.sdp });
    return { offer: offer.sdp!, answer: pc.localDescription!.sdp };
  }

  /** tsrtc offers, GStreamer answers. */
  async offerTo(pc: RTCPeerConnection): Promise<Negotiated> {
    await pc.setLocalDescription();
    const offer = pc.localDescription!.sdp;
    this.send({ type: 'offer', sdp: offer });
    const answer = await this.next((m) => m.type === 'answer', 'the answer');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp! });
    this.remoteApplied();
    return { offer, answer: answer.sdp! };
  }

  /** Fails the test on any error GStreamer reported, or a GStreamer candidate tsrtc refused. */
  assertNoErrors(): void {
    const errors = this.log.filter((m) => m.event === 'error' || m.event === 'tsrtc-error');
    assert.deepEqual(errors, [], this.diagnostics());
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ quit: true });
    // From here a late send() (a candidate tsrtc still finds) would write after end(): it is dropped.
    this.closing = true;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** True when the measured I420 means are each within `tolerance` of the quadrant colours tsrtc sends. */
export function gstSawQuadrants(m: GstMessage, tolerance = 24): boolean {
  return (
    m.event === 'video' &&
    m.quadrants !== undefined &&
    m.quadrants.every((c, i) => {
      const e = QUADRANTS[i]!;
      return (
        Math.abs(c[0] - e.y) <= tolerance &&
        Math.abs(c[1] - e.u) <= tolerance &&
        Math.abs(c[2] - e.v) <= tolerance
      );
    })
  );
}
