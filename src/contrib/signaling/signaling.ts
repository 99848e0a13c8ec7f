/** The Signaling contract every channel in this folder implements (aiortc's `BaseSignaling`). */
import type { SignalingObject } from './wire.js';

export interface Signaling {
  /** Prepare the channel. Socket channels pick their role lazily (see TcpSocketSignaling), so this may no-op. */
  connect(): Promise<void>;
  /** Send one description, candidate or BYE. */
  send(obj: SignalingObject): Promise<void>;
  /**
   * The next message from the remote party; BYE when it said bye or the channel closed. Rejects with a
   * SignalingError for a malformed or oversized message; the channel stays usable, so callers may retry.
   */
  receive(): Promise<SignalingObject>;
  /** Send BYE if connected, then release sockets, servers and socket files. Idempotent. */
  close(): Promise<void>;
}
