/**
 * Command-line options and a factory, as aiortc's `add_signaling_arguments` / `create_signaling`:
 * `--signaling/-s {copy-and-paste,tcp-socket,unix-socket,websocket}`, `--signaling-host 127.0.0.1`,
 * `--signaling-port 1234`, `--signaling-path tsrtc.socket`.
 */
import { parseArgs } from 'node:util';
import { CopyAndPasteSignaling } from './copy-and-paste.js';
import type { Signaling } from './signaling.js';
import { TcpSocketSignaling, UnixSocketSignaling } from './socket.js';
import { WebSocketSignaling } from './websocket.js';

export const SIGNALING_KINDS = ['copy-and-paste', 'tcp-socket', 'unix-socket', 'websocket'] as const;
export type SignalingKind = (typeof SIGNALING_KINDS)[number];

export interface SignalingOptions {
  signaling: SignalingKind;
  host: string;
  port: number;
  path: string;
}

export const DEFAULT_SIGNALING_OPTIONS: SignalingOptions = {
  signaling: 'copy-and-paste',
  host: '127.0.0.1',
  port: 1234,
  path: 'tsrtc.socket',
};

/** The `parseArgs` option specs, to merge into a tool's own (see datachannel-cli). */
export const SIGNALING_ARG_OPTIONS = {
  signaling: { type: 'string', short: 's', default: DEFAULT_SIGNALING_OPTIONS.signaling },
  'signaling-host': { type: 'string', default: DEFAULT_SIGNALING_OPTIONS.host },
  'signaling-port': { type: 'string', default: String(DEFAULT_SIGNALING_OPTIONS.port) },
  'signaling-path': { type: 'string', default: DEFAULT_SIGNALING_OPTIONS.path },
} as const;

export const SIGNALING_USAGE = `  -s, --signaling {${SIGNALING_KINDS.join(',')}}  (default copy-and-paste)
  --signaling-host HOST   TCP/WebSocket host (default 127.0.0.1)
  --signaling-port PORT   TCP/WebSocket port (default 1234)
  --signaling-path PATH   unix socket path (default tsrtc.socket)`;

/** Validate parsed values; throws TypeError with a usage-style message on a bad kind or port. */
export function signalingOptionsFrom(values: Record<string, unknown>): SignalingOptions {
  const kind = values.signaling ?? DEFAULT_SIGNALING_OPTIONS.signaling;
  if (typeof kind !== 'string' || !(SIGNALING_KINDS as readonly string[]).includes(kind))
    throw new TypeError(`--signaling must be one of ${SIGNALING_KINDS.join(', ')}, not ${String(kind)}`);
  const portText = String(values['signaling-port'] ?? DEFAULT_SIGNALING_OPTIONS.port);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new TypeError(`--signaling-port must be 0–65535, not ${portText}`);
  const host = values['signaling-host'];
  const path = values['signaling-path'];
  return {
    signaling: kind as SignalingKind,
    host: typeof host === 'string' ? host : DEFAULT_SIGNALING_OPTIONS.host,
    port,
    path: typeof path === 'string' ? path : DEFAULT_SIGNALING_OPTIONS.path,
  };
}

/** Parse only the signaling options out of `argv` (other arguments are ignored). */
export function signalingArgs(argv: readonly string[]): SignalingOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: SIGNALING_ARG_OPTIONS,
    strict: false,
    allowPositionals: true,
  });
  return signalingOptionsFrom(values);
}

export function createSignaling(options: Partial<SignalingOptions> = {}): Signaling {
  const o = { ...DEFAULT_SIGNALING_OPTIONS, ...options };
  switch (o.signaling) {
    case 'tcp-socket':
      return new TcpSocketSignaling(o.host, o.port);
    case 'unix-socket':
      return new UnixSocketSignaling(o.path);
    case 'websocket':
      return new WebSocketSignaling(o.host, o.port);
    default:
      return new CopyAndPasteSignaling();
  }
}
