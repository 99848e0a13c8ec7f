/**
 * The main job (`npm start`): a web server on 127.0.0.1 whose page connects the browser to a tsrtc peer in
 * this process, after aiortc's `server` example — the page's camera comes back through a visible transform
 * (edges or a mirror, with a tsrtc mark) and a tone plays back for its microphone, with live stats plotted;
 * beside it a data-channel chat with round-trip time and a file transfer with its rate. At start it also
 * connects two tsrtc peers on loopback and prints how long that took, as a self-check.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RTCDataChannel } from '../datachannel/data-channel.js';
import { RTCPeerConnection } from '../peerconnection/peer-connection.js';
import { ToneTrack, type VideoTransform, VideoTransformTrack } from './demo-tracks.js';

const here = dirname(fileURLToPath(import.meta.url));
const page = readFileSync(join(here, 'web', 'index.html'));
const app = readFileSync(join(here, 'web', 'app.js'));

function serveChat(channel: RTCDataChannel): void {
  channel.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as { ping?: number; text?: string };
    if (msg.ping !== undefined) channel.send(JSON.stringify({ ping: msg.ping }));
    else channel.send(JSON.stringify({ echo: msg.text ?? '' }));
  };
}

function serveFile(channel: RTCDataChannel): void {
  channel.binaryType = 'arraybuffer';
  let hash = createHash('sha256');
  let bytes = 0;
  let started = 0;
  channel.onmessage = (e) => {
    if (typeof e.data === 'string') {
      const msg = JSON.parse(e.data) as { start?: number; end?: boolean };
      if (msg.start !== undefined) {
        hash = createHash('sha256');
        bytes = 0;
        started = performance.now();
      } else if (msg.end) {
        const ms = performance.now() - started;
        channel.send(JSON.stringify({ bytes, sha256: hash.digest('hex'), ms }));
      }
      return;
    }
    const chunk = new Uint8Array(e.data as ArrayBuffer);
    hash.update(chunk);
    bytes += chunk.byteLength;
  };
}

async function answer(offerJson: string, peers: Set<RTCPeerConnection>): Promise<string> {
  const { transform = 'edges', ...offer } = JSON.parse(offerJson) as {
    type: 'offer';
    sdp: string;
    transform?: VideoTransform;
  };
  const pc = new RTCPeerConnection({ iceLoopbackOnly: process.env.TSRTC_ALL_INTERFACES !== '1' });
  peers.add(pc);
  // The browser's camera comes back transformed, its microphone is answered with a tone.
  pc.ontrack = ({ track, transceiver }) => {
    transceiver.direction = 'sendrecv';
    const reply =
      track.kind === 'video'
        ? new VideoTransformTrack(
            track,
            ['edges', 'mirror', 'none'].includes(transform) ? transform : 'edges',
          )
        : new ToneTrack(440);
    void transceiver.sender.replaceTrack(reply);
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'closed' || pc.connectionState === 'failed') reply.stop();
    });
  };
  pc.ondatachannel = ({ channel }) => {
    if (channel.label === 'chat') serveChat(channel);
    else if (channel.label === 'file') serveFile(channel);
  };
  pc.onconnectionstatechange = () => {
    console.log(`browser peer: ${pc.connectionState}`);
    if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
      peers.delete(pc);
      pc.close();
    }
  };
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription();
  while (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => pc.addEventListener('icegatheringstatechange', resolve, { once: true }));
  }
  return JSON.stringify(pc.localDescription);
}

async function selfCheck(): Promise<void> {
  const t0 = performance.now();
  const a = new RTCPeerConnection({ iceLoopbackOnly: true });
  const b = new RTCPeerConnection({ iceLoopbackOnly: true });
  a.onicecandidate = (e) => void b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => void a.addIceCandidate(e.candidate);
  const channel = a.createDataChannel('self-check');
  const opened = new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await opened;
  const stats = await a.getStats();
  const pair = [...stats.values()].find((s) => s.type === 'candidate-pair' && s.nominated);
  const local = pair ? stats.get(String(pair.localCandidateId)) : undefined;
  const remote = pair ? stats.get(String(pair.remoteCandidateId)) : undefined;
  console.log(
    `self-check: two tsrtc peers on loopback opened a data channel in ${(performance.now() - t0).toFixed(1)} ms` +
      (local && remote ? ` over ${local.address}:${local.port} <-> ${remote.address}:${remote.port}` : ''),
  );
  await a.close();
  await b.close();
}

function handle(req: IncomingMessage, res: ServerResponse, peers: Set<RTCPeerConnection>): void {
  if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  } else if (req.method === 'GET' && req.url === '/app.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(app);
  } else if (req.method === 'POST' && req.url === '/offer') {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > 256 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      answer(Buffer.concat(chunks).toString('utf8'), peers).then(
        (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
        (err: Error) =>
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`${err.name}: ${err.message}`),
      );
    });
  } else {
    res.writeHead(404).end('not found');
  }
}

export async function startDemoServer(port = 8080): Promise<{ url: string; close(): Promise<void> }> {
  const peers = new Set<RTCPeerConnection>();
  const server = createServer((req, res) => handle(req, res, peers));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  return {
    url,
    async close() {
      for (const p of peers) p.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await selfCheck();
  const { url } = await startDemoServer(Number(process.env.PORT ?? 8080));
  console.log(`open ${url} in a browser (Ctrl-C to stop)`);
}
