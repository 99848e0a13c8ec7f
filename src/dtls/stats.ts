/** Counters a DTLS engine keeps about what it received, dropped and resent. */
export class EngineStats {
  datagramsReceived = 0;
  /** Records whose header does not parse (the rest of the datagram is dropped with them). */
  malformedRecords = 0;
  /** Well-formed records dropped: unknown epoch, wrong content type, too many early records. */
  droppedRecords = 0;
  /** Records that fail authentication (dropped silently). */
  authFailures = 0;
  replayedRecords = 0;
  /** Handshake fragments that are malformed, lie about lengths or fall outside the window. */
  malformedHandshake = 0;
  helloVerifyRequestsSent = 0;
  retransmissions = 0;
  alertsReceived = 0;
  /** Handshake messages after connection (renegotiation attempts), refused. */
  renegotiationsRefused = 0;
}
