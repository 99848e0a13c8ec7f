/**
 * tsrtc's RTCPeerConnection against node-datachannel, @roamhq/wrtc and werift on loopback: tsrtc as
 * offerer and as answerer, trickle and non-trickle; every channel type opens and carries text and binary
 * (empty, small and large) both ways with the content checked; channels close from either side.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCPeerConnection } from '../../src/peerconnection/peer-connection.js';
import {
  NODE_DATACHANNEL,
  type PeerFactory,
  ROAMHQ_WRTC,
  type W3cChannel,
  type W3cPeer,
  WERIFT,
} from './w3c-peers.js';

type AnyPeer = W3cPeer | RTCPeerConnection;
type AnyChannel = W3cChannel | ReturnType<RTCPeerConnection['createDataChannel']>;

/** The stacks' event targets differ in their typings; the tests listen through one loose signature. */
type Listenable = { addEventListener(type: string, listener: (e: never) => void): void };
function listen<T>(target: unknown, type: string, fn: (e: T) => void): void {
  (target as Listenable).addEventListener(type, fn as (e: never) => void);
}

function once<T>(target: unknown, type: string, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), ms);
    listen<T>(target, type, (e) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}

async function waitGatheringComplete(pc: AnyPeer): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (pc.iceGatheringState !== 'complete' && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}

async function negotiate(offerer: AnyPeer, answerer: AnyPeer, trickle: boolean): Promise<void> {
  if (trickle) {
    listen<{ candidate: unknown }>(offerer, 'icecandidate', (e) => {
      if (e.candidate) void answerer.addIceCandidate(e.candidate as never).catch(() => undefined);
    });
    listen<{ candidate: unknown }>(answerer, 'icecandidate', (e) => {
      if (e.candidate) void offerer.addIceCandidate(e.candidate as never).catch(() => undefined);
    });
  }
  const offer = await offerer.createOffer();
  await offerer.setLocalDescription(offer as never);
  if (!trickle) await waitGatheringComplete(offerer);
  await answerer.setRemoteDescription(offerer.localDescription! as never);
  const answer = await answerer.createAnswer();
  await answerer.setLocalDescription(answer as never);
  if (!trickle) await waitGatheringComplete(answerer);
  await offerer.setRemoteDescription(answerer.localDescription! as never);
}

function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`unexpected message data ${Object.prototype.toString.call(data)}`);
}

const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Send each payload from `from` and check `to` receives exactly the same, in order. */
async function roundTrip(from: AnyChannel, to: AnyChannel, payloads: (string | Uint8Array)[]): Promise<void> {
  to.binaryType = 'arraybuffer';
  const received: { text: boolean; hash: string }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`received ${received.length}/${payloads.length}`)),
      20_000,
    );
    listen<MessageEvent>(to, 'message', (e) => {
      received.push({ text: typeof e.data === 'string', hash: digest(toBytes(e.data)) });
      if (received.length === payloads.length) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (const p of payloads) from.send(p as never);
  await done;
  assert.deepEqual(
    received,
    payloads.map((p) => ({ text: typeof p === 'string', hash: digest(toBytes(p)) })),
  );
}

function payloadsUpTo(max: number): (string | Uint8Array)[] {
  const big = new Uint8Array(max);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  return [
    'hello',
    '',
    'ünïcødé ✓',
    new Uint8Array(0),
    Uint8Array.of(1, 2, 3),
    big,
    'x'.repeat(Math.min(max, 60_000)),
  ];
}

const CHANNEL_TYPES: { label: string; init: Record<string, unknown> }[] = [
  { label: 'reliable', init: {} },
  { label: 'unordered', init: { ordered: false } },
  { label: 'rexmit', init: { ordered: false, maxRetransmits: 0 } },
  { label: 'lifetime', init: { maxPacketLifeTime: 500 } },
];

for (const factory of [NODE_DATACHANNEL, ROAMHQ_WRTC, WERIFT] as PeerFactory[]) {
  describe(`tsrtc ↔ ${factory.name}`, () => {
    for (const tsrtcOffers of [true, false]) {
      for (const trickle of [true, false]) {
        const name = `${tsrtcOffers ? 'tsrtc offers' : `${factory.name} offers`}, ${trickle ? 'trickle' : 'non-trickle'}`;
        it(name, async () => {
          const ours = new RTCPeerConnection({ iceLoopbackOnly: true });
          const theirs = await factory.create();
          try {
            const offerer = tsrtcOffers ? ours : theirs;
            const answerer = tsrtcOffers ? theirs : ours;
            const opened = new Map<string, AnyChannel>();
            const remoteChannels = new Map<string, AnyChannel>();
            const allRemote = new Promise<void>((resolve) => {
              listen<{ channel: AnyChannel }>(answerer, 'datachannel', (e) => {
                remoteChannels.set(e.channel.label, e.channel);
                if (remoteChannels.size === CHANNEL_TYPES.length) resolve();
              });
            });
            for (const t of CHANNEL_TYPES)
              opened.set(t.label, offerer.createDataChannel(t.label, t.init) as AnyChannel);
            await negotiate(offerer, answerer, trickle);
            await allRemote;
            for (const ch of opened.values()) if (ch.readyState !== 'open') await once(ch, 'open');
            for (const t of CHANNEL_TYPES) {
              const local = opened.get(t.label)!;
              const remote = remoteChannels.get(t.label)!;
              // node-datachannel's polyfill reports ordered=true for every channel the peer opened.
              const partial = t.init.maxRetransmits !== undefined || t.init.maxPacketLifeTime !== undefined;
              const trustworthy =
                remote instanceof RTCDataChannel
                  ? factory.announcesUnorderedPartialReliability || !partial
                  : factory.reportsRemoteReliability;
              if (trustworthy) {
                assert.equal(remote.ordered, t.init.ordered ?? true, `${t.label} ordered`);
              }
              if (t.label === 'reliable') {
                const max = Math.min(factory.maxMessageSize, 65_536);
                const theirsSend = payloadsUpTo(max).filter(
                  (p) => factory.sendsEmptyMessages || (typeof p === 'string' ? p.length : p.byteLength) > 0,
                );
                const oursSend = payloadsUpTo(max);
                await roundTrip(local, remote, tsrtcOffers ? oursSend : theirsSend);
                await roundTrip(remote, local, tsrtcOffers ? theirsSend : oursSend);
              } else {
                await roundTrip(local, remote, ['a', Uint8Array.of(9, 8, 7)]);
                await roundTrip(remote, local, ['b']);
              }
            }
            // Close from the remote side; our channel must reach 'closed'.
            const reliable = opened.get('reliable')!;
            const closed = once(tsrtcOffers ? reliable : remoteChannels.get('reliable')!, 'close');
            (tsrtcOffers ? remoteChannels.get('reliable')! : reliable).close();
            await closed;
          } finally {
            await ours.close();
            await theirs.close();
          }
        });
      }
    }
  });
}
