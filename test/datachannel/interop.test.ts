/**
 * Bulk integrity against real peers: our RTCPeerConnection (ICE + DTLS + SCTP) with node-datachannel
 * (usrsctp) and @roamhq/wrtc (libwebrtc's dcsctp), over loopback. Run inside netns.sh.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCPeerConnection } from '../../src/peerconnection/index.js';
import { makeMessages, sha256 } from '../sctp/harness.js';
import { until } from './helpers.js';

interface PeerLike {
  createDataChannel(label: string, init?: object): unknown;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(d: { type: string; sdp?: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp?: string }): Promise<void>;
  readonly localDescription: { type: string; sdp?: string } | null;
  readonly iceGatheringState: string;
  close(): void | Promise<void>;
}

interface RemoteChannel {
  binaryType: string;
  readyState: string;
  onopen: (() => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  send(d: string | Uint8Array): void;
}

async function makePeer(lib: 'node-datachannel' | 'wrtc'): Promise<PeerLike> {
  if (lib === 'node-datachannel') {
    const { RTCPeerConnection: Pc } = await import('node-datachannel/polyfill');
    return Reflect.construct(Pc, [{ iceServers: [], bindAddress: '127.0.0.1' }]) as PeerLike;
  }
  const wrtc = (await import('@roamhq/wrtc')).default;
  return Reflect.construct(wrtc.RTCPeerConnection, [{ iceServers: [] }]) as PeerLike;
}

function toBytes(d: unknown): Uint8Array {
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  throw new TypeError(`unexpected ${typeof d}`);
}

for (const lib of ['node-datachannel', 'wrtc'] as const) {
  describe(`data channel integrity against ${lib}`, () => {
    it('every byte arrives both ways on a reliable ordered channel (their offer, our answer)', async () => {
      const keepAlive = setInterval(() => {}, 1000);
      const them = await makePeer(lib);
      const ours = new RTCPeerConnection({ iceLoopbackOnly: true });
      try {
        const theirs = them.createDataChannel('bulk') as RemoteChannel;
        theirs.binaryType = 'arraybuffer';
        await them.setLocalDescription(await them.createOffer());
        await until(() => them.iceGatheringState === 'complete', 20_000, 'their gathering');
        const incoming = new Promise<RTCDataChannel>((resolve) => {
          ours.ondatachannel = (e) => resolve(e.channel);
        });
        await ours.setRemoteDescription({ type: 'offer', sdp: them.localDescription!.sdp! });
        await ours.setLocalDescription(await ours.createAnswer());
        await until(() => ours.iceGatheringState === 'complete', 20_000, 'our gathering');
        await them.setRemoteDescription({ type: 'answer', sdp: ours.localDescription!.sdp });
        const mine = await incoming;
        if (mine.readyState !== 'open')
          await new Promise((r) => mine.addEventListener('open', r, { once: true }));
        if (theirs.readyState !== 'open') await new Promise<void>((r) => (theirs.onopen = () => r()));

        const toThem = makeMessages(21, 100, 60_000, 4);
        const toUs = makeMessages(22, 100, 60_000, 4);
        const gotThem: Uint8Array[] = [];
        const gotUs: Uint8Array[] = [];
        theirs.onmessage = (e) => gotThem.push(new Uint8Array(toBytes(e.data)));
        mine.binaryType = 'arraybuffer';
        mine.onmessage = (e) => gotUs.push(new Uint8Array(e.data as ArrayBuffer));
        for (const m of toThem) mine.send(m);
        for (const m of toUs) theirs.send(m);
        await until(
          () => gotThem.length === toThem.length && gotUs.length === toUs.length,
          60_000,
          'all messages',
        );
        assert.equal(sha256(gotThem), sha256(toThem), `${lib} received every byte in order`);
        assert.equal(sha256(gotUs), sha256(toUs), `we received every byte in order from ${lib}`);
      } finally {
        await them.close();
        await ours.close();
        clearInterval(keepAlive);
      }
    });
  });
}
