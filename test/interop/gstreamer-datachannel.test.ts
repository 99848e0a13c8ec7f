/**
 * Data channels between tsrtc and GStreamer 1.22 webrtcbin (usrsctp) on loopback, each side offering: a reliable
 * channel, an unordered partially reliable one (maxRetransmits 0) and a timed one (maxPacketLifeTime 500) open
 * with the same parameters on both sides, carry text and binary (up to 64 KiB) both ways with every message
 * checked by length and SHA-256, and close from either side.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import { type GstChannelConfig, GstPeer, gstreamerSkipReason } from './gstreamer.js';

const skip = gstreamerSkipReason();

const CHANNELS: GstChannelConfig[] = [
  { label: 'reliable' },
  { label: 'partial', ordered: false, maxRetransmits: 0 },
  { label: 'lifetime', maxPacketLifeTime: 500 },
];

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Text and binary, small and up to 64 KiB (the default a=max-message-size of both stacks). */
const PAYLOADS: (string | Uint8Array)[] = [
  'hello',
  'ünïcødé ✓',
  Uint8Array.of(1, 2, 3),
  bytes(65_536, 7),
  'x'.repeat(60_000),
  bytes(16_384, 11),
];

const asBytes = (p: string | Uint8Array): Uint8Array =>
  typeof p === 'string' ? new TextEncoder().encode(p) : p;
const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const fingerprint = (p: string | Uint8Array) => ({
  text: typeof p === 'string',
  length: asBytes(p).byteLength,
  sha256: digest(asBytes(p)),
});

function once<T extends Event>(target: EventTarget, type: string, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), ms);
    target.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        resolve(e as T);
      },
      { once: true },
    );
  });
}

/** tsrtc → GStreamer: GStreamer reports each message's kind, length and hash. */
async function toGstreamer(
  gst: GstPeer,
  channel: RTCDataChannel,
  payloads: (string | Uint8Array)[],
): Promise<void> {
  const from = gst.log.length;
  const received = () =>
    gst.log.slice(from).filter((m) => m.event === 'message' && m.label === channel.label);
  for (const p of payloads) channel.send(p);
  await gst.next(
    () => received().length === payloads.length,
    `${payloads.length} messages on ${channel.label}`,
  );
  const got = received().map((m) => ({ text: m.text, length: m.length, sha256: m.sha256 }));
  const sent = payloads.map(fingerprint);
  if (channel.ordered) assert.deepEqual(got, sent);
  else assert.deepEqual(sortBy(got), sortBy(sent));
}

const sortBy = <T extends { sha256?: string }>(xs: T[]): T[] =>
  [...xs].sort((a, b) => (a.sha256 ?? '').localeCompare(b.sha256 ?? ''));

/** GStreamer → tsrtc: the channel receives exactly what GStreamer was told to send. */
async function fromGstreamer(
  gst: GstPeer,
  channel: RTCDataChannel,
  payloads: (string | Uint8Array)[],
): Promise<void> {
  channel.binaryType = 'arraybuffer';
  const got: { text: boolean; length: number; sha256: string }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`received ${got.length}/${payloads.length} on ${channel.label}\n${gst.diagnostics()}`),
        ),
      20_000,
    );
    channel.onmessage = (e) => {
      const data = e.data as string | ArrayBuffer;
      const b = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
      got.push({ text: typeof data === 'string', length: b.byteLength, sha256: digest(b) });
      if (got.length === payloads.length) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  for (const p of payloads)
    gst.send({
      send:
        typeof p === 'string'
          ? { label: channel.label, text: p }
          : { label: channel.label, binary: Buffer.from(p).toString('base64') },
    });
  await done;
  channel.onmessage = null;
  const sent = payloads.map(fingerprint);
  if (channel.ordered) assert.deepEqual(got, sent);
  else assert.deepEqual(sortBy(got), sortBy(sent));
}

describe('tsrtc ↔ GStreamer webrtcbin: data channels', { skip }, () => {
  for (const [gstOffers, bundle] of [
    [true, 'max-bundle'],
    [false, 'max-bundle'],
    [true, 'none'],
    [false, 'none'],
  ] as const) {
    const who = gstOffers ? 'GStreamer offers, tsrtc answers' : 'tsrtc offers, GStreamer answers';
    it(`${who} (bundle-policy ${bundle})`, async () => {
      const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
      const gst = new GstPeer({
        role: gstOffers ? 'offer' : 'answer',
        bundle,
        channels: gstOffers ? CHANNELS : [],
      });
      try {
        gst.wire(pc);
        const channels = new Map<string, RTCDataChannel>();
        if (gstOffers) {
          pc.ondatachannel = (e) => channels.set(e.channel.label, e.channel);
          await gst.answerIts(pc);
        } else {
          for (const c of CHANNELS) {
            const { label, ...init } = c;
            channels.set(label, pc.createDataChannel(label, init));
          }
          await gst.offerTo(pc);
        }
        for (const c of CHANNELS) {
          await gst.next((m) => m.event === 'open' && m.label === c.label, `${c.label} open in GStreamer`);
          const seen = await gst.next(
            (m) => m.event === 'channel' && m.label === c.label,
            `${c.label} in GStreamer`,
          );
          assert.equal(seen.ordered, c.ordered ?? true, `GStreamer's ${c.label} ordered`);
          assert.equal(seen.maxRetransmits, c.maxRetransmits ?? -1, `GStreamer's ${c.label} maxRetransmits`);
          assert.equal(seen.maxPacketLifeTime, c.maxPacketLifeTime ?? -1, `GStreamer's ${c.label} lifetime`);
          const deadline = Date.now() + 20_000;
          while (!channels.get(c.label) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          const ours = channels.get(c.label);
          assert.ok(ours, `tsrtc has ${c.label}`);
          if (ours.readyState !== 'open') await once(ours, 'open');
          assert.equal(ours.ordered, c.ordered ?? true, `tsrtc's ${c.label} ordered`);
          assert.equal(ours.maxRetransmits, c.maxRetransmits ?? null, `tsrtc's ${c.label} maxRetransmits`);
          assert.equal(ours.maxPacketLifeTime, c.maxPacketLifeTime ?? null, `tsrtc's ${c.label} lifetime`);
        }

        const reliable = channels.get('reliable')!;
        const partial = channels.get('partial')!;
        await toGstreamer(gst, reliable, PAYLOADS);
        await fromGstreamer(gst, reliable, PAYLOADS);
        await toGstreamer(gst, partial, ['a', Uint8Array.of(9, 8, 7), bytes(1000, 3)]);
        await fromGstreamer(gst, partial, ['b', Uint8Array.of(6, 5), bytes(1000, 5)]);
        await toGstreamer(gst, channels.get('lifetime')!, ['c', bytes(2000, 9)]);
        await fromGstreamer(gst, channels.get('lifetime')!, ['d', bytes(2000, 13)]);

        // Empty messages (RFC 8831 §6.6: one zero byte, PPID 56 for a string, 57 for binary) arrive empty, but
        // webrtcbin 1.22 has the two PPIDs swapped: it reports our '' as binary and our empty binary as text.
        // (It cannot send empty messages itself: usrsctp refuses its zero-length buffer and the channel closes.)
        const from = gst.log.length;
        reliable.send('');
        reliable.send(new Uint8Array(0));
        reliable.send('end');
        const empties = () =>
          gst.log.slice(from).filter((m) => m.event === 'message' && m.label === 'reliable');
        await gst.next(() => empties().length === 3, 'the empty messages');
        assert.deepEqual(
          empties().map((m) => ({ text: m.text, length: m.length })),
          [
            { text: false, length: 0 },
            { text: true, length: 0 },
            { text: true, length: 3 },
          ],
        );

        // Close the reliable channel from GStreamer and the partial one from tsrtc.
        const reliableClosed = once(reliable, 'close');
        gst.send({ close: 'reliable' });
        await reliableClosed;
        assert.equal(reliable.readyState, 'closed');
        const partialClosed = once(partial, 'close');
        partial.close();
        await gst.next((m) => m.event === 'close' && m.label === 'partial', 'partial closed in GStreamer');
        await partialClosed; // after GStreamer resets its side of the stream too
        assert.equal(partial.readyState, 'closed');
        assert.equal(pc.connectionState, 'connected');
        gst.assertNoErrors();
      } finally {
        pc.close();
        await gst.close();
      }
    });
  }
});
