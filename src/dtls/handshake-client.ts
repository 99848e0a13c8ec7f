/** The client side of the DTLS 1.2 handshake: flights 1, 3 and 5 (RFC 6347 §4.2.4, RFC 5246 §7.3). */
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
import { generateEphemeralKey } from './key-exchange.js';
import * as m from './messages.js';
import { chooseSignatureScheme, SUPPORTED_SIGNATURE_SCHEMES, signWith, verifyWith } from './signature.js';
import { srtpProfileById } from './srtp-profiles.js';

type ClientState = 'hello' | 'server-flight' | 'server-finished' | 'done';

/** What the server's flight 4 may hold (RFC 5246 §7.3). */
const SERVER_FLIGHT: readonly number[] = [
  HandshakeType.serverHello,
  HandshakeType.certificate,
  HandshakeType.serverKeyExchange,
  HandshakeType.certificateRequest,
  HandshakeType.serverHelloDone,
];

/** A server may ask for a new cookie a few times; more is a loop. */
const MAX_HELLO_VERIFY = 4;

export class ClientHandshake extends Handshake {
  private state: ClientState = 'hello';
  private cookie: Uint8Array = new Uint8Array(0);
  private helloVerifyCount = 0;
  private expected: number = HandshakeType.serverHello;
  private serverKeyExchange: m.ServerKeyExchange | undefined;
  private certificateRequest: m.CertificateRequest | undefined;

  /** Send flight 1. */
  start(): void {
    this.clientRandom = randomBytes(32, this.config.random);
    this.sendClientHello();
  }

  private sendClientHello(): void {
    this.transcript = [];
    const hello: m.ClientHello = {
      version: DTLS_1_2,
      random: this.clientRandom,
      sessionId: new Uint8Array(0),
      cookie: this.cookie,
      cipherSuites: this.config.cipherSuites.map((s) => s.id),
      compressionMethods: new Uint8Array([0]),
      extensions: {
        supportedGroups: [...this.config.groups],
        ecPointFormats: UNCOMPRESSED_POINTS,
        signatureAlgorithms: [...SUPPORTED_SIGNATURE_SCHEMES],
        useSrtp:
          this.config.srtpProfiles.length > 0
            ? { profiles: this.config.srtpProfiles.map((p) => p.id), mki: new Uint8Array(0) }
            : undefined,
        extendedMasterSecret: true,
        renegotiationInfo: new Uint8Array(0),
      },
    };
    const entry = this.outgoing(HandshakeType.clientHello, m.encodeClientHello(hello));
    // The server answers with its first message at our message_seq (RFC 6347 §4.2.2).
    this.host.expectReceiveSeq(this.sendSeq - 1);
    this.host.sendFlight([entry], false);
  }

  acceptsFragment(type: number, epoch: number): boolean {
    switch (this.state) {
      case 'hello':
        return epoch === 0 && (type === HandshakeType.helloVerifyRequest || SERVER_FLIGHT.includes(type));
      case 'server-flight':
        return epoch === 0 && type !== HandshakeType.serverHello && SERVER_FLIGHT.includes(type);
      case 'server-finished':
        return epoch === 1 && type === HandshakeType.finished;
      default:
        return false;
    }
  }

  expects(message: HandshakeMessage): boolean {
    if (!this.acceptsFragment(message.type, message.epoch)) return false;
    if (this.state === 'hello' && message.type === HandshakeType.helloVerifyRequest) return true;
    // CertificateRequest is optional; it comes just before ServerHelloDone when present.
    const optionalRequest =
      message.type === HandshakeType.certificateRequest &&
      this.expected === HandshakeType.serverHelloDone &&
      !this.certificateRequest;
    return message.type === this.expected || optionalRequest;
  }

  handle(message: HandshakeMessage): void {
    if (this.state === 'hello' && message.type === HandshakeType.helloVerifyRequest) {
      expectEpoch(message, 0);
      this.onHelloVerifyRequest(message.body);
      return;
    }
    if (
      message.type === HandshakeType.certificateRequest &&
      this.expected === HandshakeType.serverHelloDone &&
      !this.certificateRequest
    ) {
      // CertificateRequest is optional; it comes just before ServerHelloDone when present.
    } else if (message.type !== this.expected) {
      throw new HandshakeFailure(
        AlertDescription.unexpectedMessage,
        `unexpected handshake message ${message.type} (expected ${this.expected})`,
      );
    }
    expectEpoch(message, message.type === HandshakeType.finished ? 1 : 0);
    switch (message.type) {
      case HandshakeType.serverHello:
        this.onServerHello(message);
        break;
      case HandshakeType.certificate:
        this.record(message.type, message.seq, message.body);
        this.acceptPeerChain(m.decodeCertificate(message.body));
        this.expected = HandshakeType.serverKeyExchange;
        break;
      case HandshakeType.serverKeyExchange:
        this.onServerKeyExchange(message);
        break;
      case HandshakeType.certificateRequest:
        this.record(message.type, message.seq, message.body);
        this.certificateRequest = m.decodeCertificateRequest(message.body);
        break;
      case HandshakeType.serverHelloDone:
        this.record(message.type, message.seq, message.body);
        this.sendClientFlight();
        break;
      case HandshakeType.finished:
        this.onServerFinished(message);
        break;
    }
  }

  private onHelloVerifyRequest(body: Uint8Array): void {
    const hvr = m.decodeHelloVerifyRequest(body);
    if (hvr.cookie.byteLength === 0 || ++this.helloVerifyCount > MAX_HELLO_VERIFY) {
      throw new HandshakeFailure(AlertDescription.illegalParameter, 'bad HelloVerifyRequest');
    }
    this.cookie = hvr.cookie;
    this.sendClientHello();
  }

  private onServerHello(message: HandshakeMessage): void {
    const hello = m.decodeServerHello(message.body);
    if (hello.version !== DTLS_1_2) {
      throw new HandshakeFailure(
        AlertDescription.protocolVersion,
        `server chose version ${hello.version.toString(16)}`,
      );
    }
    const suite = this.config.cipherSuites.find((s) => s.id === hello.cipherSuite);
    if (!suite)
      throw new HandshakeFailure(AlertDescription.illegalParameter, 'server chose a suite we did not offer');
    if (hello.compressionMethod !== 0)
      throw new HandshakeFailure(AlertDescription.illegalParameter, 'compression');
    const ri = hello.extensions.renegotiationInfo;
    if (ri && ri.byteLength !== 0)
      throw new HandshakeFailure(AlertDescription.handshakeFailure, 'renegotiation_info');
    if (!hello.extensions.extendedMasterSecret && this.config.requireExtendedMasterSecret) {
      throw new HandshakeFailure(
        AlertDescription.handshakeFailure,
        'server does not use the extended master secret',
      );
    }
    const srtp = hello.extensions.useSrtp;
    if (srtp) {
      const profile = srtp.profiles.length === 1 ? srtpProfileById(srtp.profiles[0]!) : undefined;
      if (!profile || !this.config.srtpProfiles.includes(profile) || srtp.mki.byteLength !== 0) {
        throw new HandshakeFailure(
          AlertDescription.illegalParameter,
          'server chose an SRTP profile we did not offer',
        );
      }
      this.srtpProfile = profile;
    }
    this.suite = suite;
    this.serverRandom = new Uint8Array(hello.random);
    this.extendedMasterSecret = hello.extensions.extendedMasterSecret;
    this.record(message.type, message.seq, message.body);
    this.state = 'server-flight';
    this.expected = HandshakeType.certificate;
  }

  private onServerKeyExchange(message: HandshakeMessage): void {
    const ske = m.decodeServerKeyExchange(message.body);
    if (!this.config.groups.includes(ske.group)) {
      throw new HandshakeFailure(AlertDescription.illegalParameter, `server chose group ${ske.group}`);
    }
    const signed = concatBytes([this.clientRandom, this.serverRandom, ske.params]);
    const keyKind = this.suite!.authentication === 'ecdsa' ? 'ec' : 'rsa';
    if (
      this.peerKey!.asymmetricKeyType !== keyKind ||
      !verifyWith(this.peerKey!, ske.scheme, signed, ske.signature)
    ) {
      throw new HandshakeFailure(
        AlertDescription.decryptError,
        'ServerKeyExchange signature does not verify',
      );
    }
    this.record(message.type, message.seq, message.body);
    this.serverKeyExchange = ske;
    this.group = ske.group;
    this.expected = HandshakeType.serverHelloDone;
  }

  private sendClientFlight(): void {
    const ske = this.serverKeyExchange!;
    const flight: FlightEntry[] = [];
    const request = this.certificateRequest;
    if (request)
      flight.push(
        this.outgoing(HandshakeType.certificate, m.encodeCertificate([this.config.credential.der])),
      );
    const ephemeral = generateEphemeralKey(ske.group, this.config.random);
    let preMaster: Uint8Array;
    try {
      preMaster = ephemeral.computeSecret(ske.publicKey);
    } catch (e) {
      const reason = e instanceof ProtocolError ? e.message : 'bad server key share';
      throw new HandshakeFailure(AlertDescription.illegalParameter, reason);
    }
    flight.push(
      this.outgoing(HandshakeType.clientKeyExchange, m.encodeClientKeyExchange(ephemeral.publicKey)),
    );
    const epochKeys = this.deriveKeys(preMaster);
    if (request) {
      const wantsType =
        this.config.credential.keyType === 'rsa'
          ? CLIENT_CERTIFICATE_TYPE_RSA_SIGN
          : CLIENT_CERTIFICATE_TYPE_ECDSA_SIGN;
      if (!request.certificateTypes.includes(wantsType)) {
        throw new HandshakeFailure(
          AlertDescription.handshakeFailure,
          'server does not accept our certificate type',
        );
      }
      const scheme = chooseSignatureScheme(this.config.credential.keyType, request.signatureAlgorithms);
      if (scheme === undefined) {
        throw new HandshakeFailure(AlertDescription.handshakeFailure, 'no signature scheme in common');
      }
      const signature = signWith(this.config.credential.privateKey, scheme, this.transcriptBytes());
      flight.push(
        this.outgoing(HandshakeType.certificateVerify, m.encodeDigitallySigned({ scheme, signature })),
      );
    }
    flight.push({ kind: 'changeCipherSpec', epoch: 0 });
    this.host.installKeys(epochKeys);
    flight.push(this.outgoing(HandshakeType.finished, this.finishedData('client finished'), 1));
    this.state = 'server-finished';
    this.expected = HandshakeType.finished;
    this.host.sendFlight(flight, false);
  }

  private onServerFinished(message: HandshakeMessage): void {
    const expected = this.finishedData('server finished');
    if (!bytesEqual(m.decodeFinished(message.body), expected)) {
      throw new HandshakeFailure(AlertDescription.decryptError, 'server Finished does not verify');
    }
    this.record(message.type, message.seq, message.body);
    this.state = 'done';
    this.expected = -1;
    this.complete = true;
  }
}
