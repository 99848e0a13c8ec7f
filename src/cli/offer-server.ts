/**
 * The web side of aiortc's `server` and `webcam` examples: an HTTP (or, with a certificate, HTTPS) server that
 * serves a page and its script, takes the browser's offer as JSON on `POST /offer` and returns the answer as
 * JSON. Bodies are capped; a failed answer is a 400 with the error's name and message.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';

const MAX_BODY_BYTES = 256 * 1024;

/** True for 127.0.0.0/8, ::1 and localhost: a server there offers loopback ICE candidates only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export interface StaticFile {
  type: string;
  body: Buffer | string;
}

export interface OfferServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM files: HTTPS (browsers allow the camera on a page from another machine only over HTTPS). */
  certFile?: string;
  keyFile?: string;
  /** GET paths to fixed content, e.g. '/' and '/client.js'. */
  files: Record<string, StaticFile>;
  /** GET paths to JSON computed at each request (e.g. '/stats'). */
  json?: Record<string, () => unknown>;
  /** The browser's JSON body in, our JSON out. */
  onOffer(body: string): Promise<string>;
}

export interface OfferServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startOfferServer(options: OfferServerOptions): Promise<OfferServer> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => handle(req, res, options);
  const tls = options.certFile && options.keyFile;
  const server = tls
    ? createHttpsServer(
        { cert: readFileSync(options.certFile!), key: readFileSync(options.keyFile!) },
        handler,
      )
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `${tls ? 'https' : 'http'}://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, options: OfferServerOptions): void {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET' && options.files[path]) {
    const file = options.files[path];
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  } else if (req.method === 'GET' && options.json?.[path]) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.json[path]()));
  } else if (req.method === 'POST' && path === '/offer') {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('offer too large');
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      options.onOffer(Buffer.concat(chunks).toString('utf8')).then(
        (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
        (err: Error) =>
          res.writeHead(400, { 'content-type': 'text/plain' }).end(`${err.name}: ${err.message}`),
      );
    });
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}
