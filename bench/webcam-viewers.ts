/**
 * The viewers of bench/webcam.bench.ts, in a process of their own so that their decoding is not counted
 * against the server: N tsrtc peer connections receive the webcam's video (aiortc's webcam client: recvonly,
 * offer after gathering, POST /offer). Prints "ready" once every viewer has decoded 10 frames, then keeps
 * watching until killed.
 *   tsx bench/webcam-viewers.ts URL N
 */
import { MediaBlackhole } from '../src/contrib/media/media-blackhole.js';
import { gatheringComplete } from '../src/contrib/signaling/negotiate.js';
import { RTCPeerConnection } from '../src/peerconnection/peer-connection.js';

const [url, count] = process.argv.slice(2);
const viewers = Number(count ?? 10);
const sink = new MediaBlackhole();
await sink.start();

async function view(): Promise<RTCPeerConnection> {
  const pc = new RTCPeerConnection({ iceLoopbackOnly: true });
  pc.ontrack = ({ track }) => sink.addTrack(track);
  pc.addTransceiver('video', { direction: 'recvonly' });
  await pc.setLocalDescription();
  await gatheringComplete(pc);
  const res = await fetch(`${url}offer`, { method: 'POST', body: JSON.stringify(pc.localDescription) });
  if (!res.ok) throw new Error(await res.text());
  await pc.setRemoteDescription((await res.json()) as { type: 'answer'; sdp: string });
  return pc;
}

const pcs: RTCPeerConnection[] = [];
for (let i = 0; i < viewers; i++) pcs.push(await view());
for (;;) {
  let decoded = Number.POSITIVE_INFINITY;
  for (const pc of pcs) {
    let frames = 0;
    for (const s of (await pc.getStats()).values())
      if (s.type === 'inbound-rtp') frames = Number(s.framesDecoded ?? 0);
    decoded = Math.min(decoded, frames);
  }
  if (decoded >= 10) break;
  await new Promise((r) => setTimeout(r, 200));
}
console.log('ready');
