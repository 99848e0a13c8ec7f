/** DTLS 1.2 wire constants (RFC 6347, RFC 5246, RFC 8422, RFC 5764, RFC 7627, RFC 5746). */

export const DTLS_1_2 = 0xfefd;
/** Seen in the first ClientHello record of some stacks; accepted on input, never sent except as said. */
export const DTLS_1_0 = 0xfeff;

export const RECORD_HEADER_LENGTH = 13;
export const HANDSHAKE_HEADER_LENGTH = 12;

export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

export const AlertLevel = { warning: 1, fatal: 2 } as const;

export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  recordOverflow: 22,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateExpired: 45,
  certificateUnknown: 46,
  illegalParameter: 47,
  accessDenied: 49,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  insufficientSecurity: 71,
  internalError: 80,
  userCanceled: 90,
  noRenegotiation: 100,
  unsupportedExtension: 110,
} as const;

export function alertName(code: number): string {
  for (const [name, value] of Object.entries(AlertDescription)) if (value === code) return name;
  return `alert(${code})`;
}

export const ExtensionType = {
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  useSrtp: 14,
  encryptThenMac: 22,
  extendedMasterSecret: 23,
  renegotiationInfo: 0xff01,
} as const;

export const NamedGroup = { x25519: 29, secp256r1: 23, secp384r1: 24 } as const;
export type NamedGroup = (typeof NamedGroup)[keyof typeof NamedGroup];
export type NamedGroupName = keyof typeof NamedGroup;

/** TLS 1.2 SignatureAndHashAlgorithm values written as the TLS 1.3 SignatureScheme code points. */
export const SignatureScheme = {
  ecdsaSecp256r1Sha256: 0x0403,
  ecdsaSecp384r1Sha384: 0x0503,
  rsaPssRsaeSha256: 0x0804,
  rsaPssRsaeSha384: 0x0805,
  rsaPkcs1Sha256: 0x0401,
  rsaPkcs1Sha384: 0x0501,
} as const;
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];

export const CLIENT_CERTIFICATE_TYPE_RSA_SIGN = 1;
export const CLIENT_CERTIFICATE_TYPE_ECDSA_SIGN = 64;
export const EC_CURVE_TYPE_NAMED = 3;
export const EC_POINT_FORMAT_UNCOMPRESSED = 0;
