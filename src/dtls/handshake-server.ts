/** The server side of the DTLS 1.2 handshake: flights 4 and 6 (RFC 6347 §4.2.4, RFC 5246 §7.3). */
import { bytesEqual, concatBytes } from '../common/bytes.js';
import { ProtocolError } from '../common/errors.js';
import { randomBytes } from '../common/random.js';
import {
  AlertDescription,
  CLIENT_CERTIFICATE_TYPE_ECDSA_SIGN,
  CLIENT_CERTIFICATE_TYPE_RSA_SIGN,
  DTLS_1_2,
  HandshakeType,
} from './constants.js';
import { UNCOMPRESSED_POINTS } from './extensions.js';
import type { FlightEntry } from './flight.js';
import { expectEpoch, Handshake, HandshakeFailure } from './handshake-common.js';
import type { HandshakeMessage } from './handshake-reassembly.js';
import { type EphemeralKey, generateEphemeralKey } from './key-exchange.js';
import * as m from './messages.js';
import { chooseSignatureScheme, SUPPORTED_SIGNATURE_SCHEMES, signWith, verifyWith } from './signature.js';

/** What the client's flight 5 may hold besides its Finished (RFC 5246 §7.3). */
const CLIENT_FLIGHT: readonly number[] = [
  HandshakeType.certificate,
  HandshakeType.clientKeyExchange,
  HandshakeType.certificateVerify,
];

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3). */
const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

export class ServerHandshake extends Handshake {
  private expected: number = HandshakeType.certificate;
  private ephemeral: EphemeralKey | undefined;
  private clientCertified = false;

  /** Answer a ClientHello whose cookie checked out: choose parameters and send flight 4. */
  start(message: HandshakeMessage, hello: m.ClientHello): void {
    if (hello.version !== DTLS_1_2 && hello.version > DTLS_1_2) {
      // DTLS versions count down: 0xfeff is 1.0, 0xfefd is 1.2; a larger number is older than 1.2.
      throw new HandshakeFailure(AlertDescription.protocolVersion, 'client does not offer DTLS 1.2');
    }
    const keyAuth = this.config.credential.keyType === 'rsa' ? 'rsa' : 'ecdsa';
    const suite = this.config.cipherSuites.find(
      (s) => s.authentication === keyAuth && hello.cipherSuites.includes(s.id),
    );
    if (!suite) throw new HandshakeFailure(AlertDescription.handshakeFailure, 'no cipher suite in common');
    const offeredGroups = hello.extensions.supportedGroups;
    const group = offeredGroups
      ? this.config.groups.find((g) => offeredGroups.includes(g))
      : this.config.groups.find((g) => g !== 29);
    if (group === undefined)
      throw new HandshakeFailure(AlertDescription.handshakeFailure, 'no group in common');
    if (!hello.compressionMethods.includes(0)) {
      throw new HandshakeFailure(AlertDescription.illegalParameter, 'null compression not offered');
    }
    const ri = hello.extensions.renegotiationInfo;
    if (ri && ri.byteLength !== 0)
      throw new HandshakeFailure(AlertDescription.handshakeFailure, 'renegotiation_info');
    const secureRenegotiation =
      ri !== undefined || hello.cipherSuites.includes(EMPTY_RENEGOTIATION_INFO_SCSV);
    if (!hello.extensions.extendedMasterSecret && this.config.requireExtendedMasterSecret) {
      throw new HandshakeFailure(
        AlertDescription.handshakeFailure,
        'client does not offer the extended master secret',
      );
    }
    const offeredSrtp = hello.extensions.useSrtp;
    if (offeredSrtp)
      this.srtpProfile = this.config.srtpProfiles.find((p) => offeredSrtp.profiles.includes(p.id));
    const scheme = chooseSignatureScheme(
      this.config.credential.keyType,
      hello.extensions.signatureAlgorithms,
    );
    if (scheme === undefined)
      throw new HandshakeFailure(AlertDescription.handshakeFailure, 'no signature scheme in common');

    this.suite = suite;
    this.group = group;
    this.extendedMasterSecret = hello.extensions.extendedMasterSecret;
    this.clientRandom = new Uint8Array(hello.random);
    this.serverRandom = randomBytes(32, this.config.random);
    // Our message_seq follows the client's: we kept no state across the cookie exchange (RFC 6347 §4.2.2).
    this.sendSeq = message.seq;
    this.record(message.type, message.seq, message.body);

    const flight: FlightEntry[] = [];
    const serverHello: m.ServerHello = {
      version: DTLS_1_2,
      random: this.serverRandom,
      sessionId: new Uint8Array(0),
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions: {
        extendedMasterSecret: this.extendedMasterSecret,
        renegotiationInfo: secureRenegotiation ? new Uint8Array(0) : undefined,
        ecPointFormats: hello.extensions.ecPointFormats ? UNCOMPRESSED_POINTS : undefined,
        useSrtp: this.srtpProfile ? { profiles: [this.srtpProfile.id], mki: new Uint8Array(0) } : undefined,
      },
    };
    flight.push(this.outgoing(HandshakeType.serverHello, m.encodeServerHello(serverHello)));
    flight.push(this.outgoing(HandshakeType.certificate, m.encodeCertificate([this.config.credential.der])));
    this.ephemeral = generateEphemeralKey(group, this.config.random);
    const params = m.encodeEcdhParams(group, this.ephemeral.publicKey);
    const signature = signWith(
      this.config.credential.privateKey,
      scheme,
      concatBytes([this.clientRandom, this.serverRandom, params]),
    );
    flight.push(
      this.outgoing(
        HandshakeType.serverKeyExchange,
        m.encodeServerKeyExchange(params, { scheme, signature }),
      ),
    );
    const request: m.CertificateRequest = {
      certificateTypes: new Uint8Array([
        CLIENT_CERTIFICATE_TYPE_ECDSA_SIGN,
        CLIENT_CERTIFICATE_TYPE_RSA_SIGN,
      ]),
      signatureAlgorithms: [...SUPPORTED_SIGNATURE_SCHEMES],
    };
    flight.push(this.outgoing(HandshakeType.certificateRequest, m.encodeCertificateRequest(request)));
    flight.push(this.outgoing(HandshakeType.serverHelloDone, new Uint8Array(0)));
    this.host.expectReceiveSeq(message.seq + 1);
    this.host.sendFlight(flight, false);
  }

  acceptsFragment(type: number, epoch: number): boolean {
    if (this.complete) return false;
    if (type === HandshakeType.finished) return epoch === 1;
    return epoch === 0 && CLIENT_FLIGHT.includes(type);
  }

  expects(message: HandshakeMessage): boolean {
    return message.type === this.expected && this.acceptsFragment(message.type, message.epoch);
  }

  handle(message: HandshakeMessage): void {
    if (message.type !== this.expected) {
      throw new HandshakeFailure(
        AlertDescription.unexpectedMessage,
        `unexpected handshake message ${message.type} (expected ${this.expected})`,
      );
    }
    expectEpoch(message, message.type === HandshakeType.finished ? 1 : 0);
    switch (message.type) {
      case HandshakeType.certificate: {
        this.record(message.type, message.seq, message.body);
        // WebRTC authenticates both ends: a client without a certificate cannot be checked.
        this.acceptPeerChain(m.decodeCertificate(message.body));
        this.clientCertified = true;
        this.expected = HandshakeType.clientKeyExchange;
        break;
      }
      case HandshakeType.clientKeyExchange:
        this.onClientKeyExchange(message);
        break;
      case HandshakeType.certificateVerify: {
        const signed = m.decodeDigitallySigned(message.body);
        if (!SUPPORTED_SIGNATURE_SCHEMES.includes(signed.scheme)) {
          throw new HandshakeFailure(
            AlertDescription.illegalParameter,
            'CertificateVerify uses a scheme we did not offer',
          );
        }
        if (!verifyWith(this.peerKey!, signed.scheme, this.transcriptBytes(), signed.signature)) {
          throw new HandshakeFailure(AlertDescription.decryptError, 'CertificateVerify does not verify');
        }
        this.record(message.type, message.seq, message.body);
        this.expected = HandshakeType.finished;
        break;
      }
      case HandshakeType.finished:
        this.onClientFinished(message);
        break;
    }
  }

  private onClientKeyExchange(message: HandshakeMessage): void {
    const point = m.decodeClientKeyExchange(message.body);
    let preMaster: Uint8Array;
    try {
      preMaster = this.ephemeral!.computeSecret(point);
    } catch (e) {
      throw new HandshakeFailure(
        AlertDescription.illegalParameter,
        e instanceof ProtocolError ? e.message : 'bad client key share',
      );
    }
    this.record(message.type, message.seq, message.body);
    this.host.installKeys(this.deriveKeys(preMaster));
    this.expected = this.clientCertified ? HandshakeType.certificateVerify : HandshakeType.finished;
  }

  private onClientFinished(message: HandshakeMessage): void {
    const expected = this.finishedData('client finished');
    if (!bytesEqual(m.decodeFinished(message.body), expected)) {
      throw new HandshakeFailure(AlertDescription.decryptError, 'client Finished does not verify');
    }
    this.record(message.type, message.seq, message.body);
    const finished = this.outgoing(HandshakeType.finished, this.finishedData('server finished'), 1);
    this.expected = -1;
    this.complete = true;
    this.host.sendFlight([{ kind: 'changeCipherSpec', epoch: 0 }, finished], true);
  }
}
