/**
 * `npm start` and `npm run server`: aiortc's `server` example. A web server on 127.0.0.1 whose page connects
 * the browser to a tsrtc peer in this process (demo-peer.ts): the page's camera comes back through a transform
 * (edges, rotate, cartoon, mirror; FFmpeg filter graphs, TypeScript without node-av) with a tsrtc mark, a tone
 * answers its microphone, which is recorded (`--record-to`) or discarded; live stats are plotted; beside it a
 * data-channel chat with round-trip time and a file transfer with its rate and SHA-256.
 *   npm start                          (adds --self-check: two tsrtc peers connect first, timed)
 *   npm run server -- [--host H] [--port P] [--record-to FILE] [--cert-file F --key-file F] [-v]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RTCPeerConnection } from '../peerconnection/peer-connection.js';
import { enableVerbose, interrupted, parseOrUsage, runMain, UsageError } from './cli-support.js';
import { answerDemoOffer, type DemoConnection, type DemoPeerOptions } from './demo-peer.js';
import type { TransformEngine } from './demo-tracks.js';
import { isLoopbackHost, type OfferServer, type StaticFile, startOfferServer } from './offer-server.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface DemoServerOptions {
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  recordTo?: string;
  certFile?: string;
  keyFile?: string;
  engine?: TransformEngine;
  /** Serve another page from this directory (index.html with client.js or app.js), e.g. aiortc's own. */
  pageDir?: string;
  log?: (line: string) => void;
}

/** The page: ours from src/cli/web, or index.html and its script from another directory. */
function pageFiles(dir: string | undefined): Record<string, StaticFile> {
  const read = (name: string): Buffer | undefined => {
    const path = join(dir ?? join(here, 'web'), name);
    return existsSync(path) ? readFileSync(path) : undefined;
  };
  const files: Record<string, StaticFile> = {};
  const index = read('index.html');
  if (!index) throw new Error(`no index.html in ${dir}`);
  files['/'] = files['/index.html'] = { type: 'text/html; charset=utf-8', body: index };
  for (const script of ['app.js', 'client.js']) {
    const body = read(script);
    if (body) files[`/${script}`] = { type: 'text/javascript; charset=utf-8', body };
  }
  return files;
}

export async function startDemoServer(
  options: DemoServerOptions | number = {},
): Promise<OfferServer & { readonly connections: ReadonlySet<DemoConnection> }> {
  const o = typeof options === 'number' ? { port: options } : options;
  const host = o.host ?? '127.0.0.1';
  const connections = new Set<DemoConnection>();
  const peerOptions: DemoPeerOptions = {
    loopbackOnly: isLoopbackHost(host) && process.env.TSRTC_ALL_INTERFACES !== '1',
    recordTo: o.recordTo,
    engine: o.engine,
    log: o.log,
  };
  const server = await startOfferServer({
    host,
    port: o.port ?? 8080,
    certFile: o.certFile,
    keyFile: o.keyFile,
    files: pageFiles(o.pageDir),
    onOffer: (body) => answerDemoOffer(body, peerOptions, connections),
  });
  return {
    url: server.url,
    connections,
    /** Closes every connection (recordings are finalised) and the web server. */
    async close() {
      await Promise.all([...connections].map((c) => c.close()));
      await server.close();
    },
  };
}

/** Two tsrtc peers open a data channel over loopback: how long it took, over which pair. */
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
  a.close();
  b.close();
}

const USAGE = `usage: server [options]   (npm start = server --self-check)
  --host HOST          listen address (default 127.0.0.1; others also gather non-loopback candidates)
  --port PORT          HTTP port (default 8080, or $PORT)
  --record-to FILE     record the browser's audio and video (mp4, webm, mkv, wav, …; default: discard audio)
  --cert-file FILE     serve HTTPS with this certificate (PEM) …
  --key-file FILE      … and this key
  --transforms ENGINE  auto (FFmpeg filter graphs when node-av loads), ffmpeg or typescript
  --page-dir DIR       serve another page (index.html and client.js), e.g. aiortc's examples/server
  --self-check         connect two tsrtc peers on loopback first and print how long it took
  -v, --verbose        debug logs (same as DEBUG=tsrtc:*)`;

function parse(argv: string[]): DemoServerOptions & { selfCheck: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: process.env.PORT ?? '8080' },
      'record-to': { type: 'string' },
      'cert-file': { type: 'string' },
      'key-file': { type: 'string' },
      transforms: { type: 'string', default: 'auto' },
      'page-dir': { type: 'string' },
      'self-check': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new UsageError('audio, video and data channels with a browser');
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be 0–65535`);
  if (Boolean(values['cert-file']) !== Boolean(values['key-file']))
    throw new UsageError('--cert-file and --key-file go together');
  const engine = values.transforms;
  if (engine !== 'auto' && engine !== 'ffmpeg' && engine !== 'typescript')
    throw new UsageError('--transforms must be auto, ffmpeg or typescript');
  enableVerbose(values.verbose);
  return {
    host: values.host,
    port,
    recordTo: values['record-to'],
    certFile: values['cert-file'],
    keyFile: values['key-file'],
    engine,
    pageDir: values['page-dir'],
    selfCheck: values['self-check'],
  };
}

async function main(): Promise<number> {
  const options = parseOrUsage(() => parse(process.argv.slice(2)));
  if (options.selfCheck) await selfCheck();
  const server = await startDemoServer({ ...options, log: (line) => console.log(line) });
  console.log(`open ${server.url} in a browser (Ctrl-C to stop)`);
  await interrupted();
  await server.close();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runMain('server', USAGE, main);
