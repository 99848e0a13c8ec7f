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
  /** Alerts that were acted on. */
  alertsReceived = 0;
  /**
   * Plaintext (epoch-0) alerts, dropped: anyone can forge one, so during the handshake they neither end
   * nor change it (RFC 6347 §4.1.2.7), and after it they are not authenticated.
   */
  unauthenticatedAlerts = 0;
  /**
   * Handshake fragments and messages that do not fit the handshake's state (a type the peer's next flight
   * cannot hold, a message out of its order, a wrong epoch), dropped without a state change.
   */
  unexpectedHandshake = 0;
  /** Handshake messages after connection (renegotiation attempts), refused. */
  renegotiationsRefused = 0;
}
