/**
 * Raised by `recv()` once a track has ended: the normal end-of-stream signal that senders, recorders and
 * relays treat as "stop quietly" (as aiortc's MediaStreamError).
 */
export class MediaStreamError extends Error {
  override name = 'MediaStreamError';
}

/** A codec needs the optional FFmpeg binding (node-av) and it is not installed or failed to load. */
export class CodecUnavailableError extends Error {
  override name = 'CodecUnavailableError';
}
