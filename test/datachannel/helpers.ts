import { RTCDataChannel } from '../../src/datachannel/data-channel.js';
import { RTCSctpTransport, type RTCSctpTransportOptions } from '../../src/datachannel/sctp-transport.js';
import { type MemoryDtls, memoryDtlsPair } from './memory-dtls.js';

/** Resolve on the first `type` event of `target`, or reject after `ms` (a ref'd timer keeps the loop alive). */
export function once<T extends Event = Event>(target: EventTarget, type: string, ms = 20_000): Promise<T> {
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

/** Poll `cond` every few ms until true or fail after `ms`. */
export async function until(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export interface OrtcPair {
  a: RTCSctpTransport;
  b: RTCSctpTransport;
  dtlsA: MemoryDtls;
  dtlsB: MemoryDtls;
}

export async function connectedPair(
  options: RTCSctpTransportOptions = {},
  remoteMax = 262_144,
): Promise<OrtcPair> {
  const [dtlsA, dtlsB] = memoryDtlsPair();
  const a = new RTCSctpTransport(dtlsA, 5000, options);
  const b = new RTCSctpTransport(dtlsB, 5000, options);
  await a.start({ maxMessageSize: remoteMax }, 5000);
  await b.start({ maxMessageSize: remoteMax }, 5000);
  const connected = Promise.all([once(a, 'statechange'), once(b, 'statechange')]);
  dtlsA.setState('connected');
  dtlsB.setState('connected');
  await connected;
  return { a, b, dtlsA, dtlsB };
}

/** Open a channel from a to b and wait until both ends are open. */
export async function openChannel(
  p: OrtcPair,
  params: ConstructorParameters<typeof RTCDataChannel>[1] = {},
): Promise<[RTCDataChannel, RTCDataChannel]> {
  const incoming = once<Event & { channel: RTCDataChannel }>(p.b, 'datachannel');
  const local = new RTCDataChannel(p.a, params);
  await once(local, 'open');
  const remote = (await incoming).channel;
  if (remote.readyState !== 'open') await once(remote, 'open');
  return [local, remote];
}
