/**
 * The sans-I/O contract shared by every protocol engine (STUN transactions, ICE, TURN, DTLS, SCTP, …).
 * Engines own no socket, timer or clock: time (milliseconds, monotonic, any origin) is always passed in.
 *
 *   engine.handleInput(now, datagram) / engine command(...)
 *   while ((t = engine.pollTransmit())) send(t)
 *   while ((e = engine.pollEvent())) handle(e)
 *   wake at engine.pollTimeout() and call engine.handleTimeout(now)
 */

export type IpFamily = 4 | 6;

/** A transport address: IP literal (v4 dotted or v6 text) and port. */
export interface TransportAddress {
  readonly address: string;
  readonly port: number;
}

export type TransportProtocol = 'udp' | 'tcp';

/** A datagram an engine wants sent. */
export interface Transmit<Meta = unknown> {
  readonly destination: TransportAddress;
  readonly data: Uint8Array;
  /** Engine-specific routing info (e.g. which local socket/candidate to send from). */
  readonly meta?: Meta;
}

export interface SansIoEngine<Event, Meta = unknown> {
  /** Earliest time (ms) the engine wants handleTimeout called, or undefined when it has nothing scheduled. */
  pollTimeout(): number | undefined;
  handleTimeout(now: number): void;
  pollTransmit(): Transmit<Meta> | undefined;
  pollEvent(): Event | undefined;
}

export function addressKey(a: TransportAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export function sameAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

export function ipFamily(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}
