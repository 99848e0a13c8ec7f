import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/common/bytes.js';
import { AesCmKeystream } from '../../src/srtp/aes-cm.js';
import { AesGcmCipher } from '../../src/srtp/aes-gcm-cipher.js';
import { PROTECT_HEADROOM } from '../../src/srtp/cipher.js';
import { deriveSessionKey, LABEL } from '../../src/srtp/kdf.js';

describe('RFC 3711 appendix B', () => {
  it('B.2: AES-CM keystream blocks, including across the 16-bit block counter', () => {
    const ks = new AesCmKeystream(fromHex('2B7E151628AED2A6ABF7158809CF4F3C'));
    ks.iv.set(fromHex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'));
    const out = new Uint8Array(0xff02 * 16);
    ks.xorInPlace(out, 0, out.byteLength);
    const block = (i: number) => toHex(out.subarray(i * 16, i * 16 + 16)).toUpperCase();
    assert.equal(block(0), 'E03EAD0935C95E80E166B16DD92B4EB4');
    assert.equal(block(1), 'D23513162B02D0F72A43A2FE4A5F97AB');
    assert.equal(block(2), '41E95B3BB0A2E8DD477901E4FCA894C0');
    assert.equal(block(0xfeff), 'EC8CDF7398607CB0F2D21675EA9EA1E4');
    assert.equal(block(0xff00), '362B7C3C6773516318A077D7FC5073AE');
    assert.equal(block(0xff01), '6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.2: the keystream XOR is the same on unaligned views', () => {
    const ks = new AesCmKeystream(fromHex('2B7E151628AED2A6ABF7158809CF4F3C'));
    ks.iv.set(fromHex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'));
    const backing = new Uint8Array(64);
    ks.xorInPlace(backing, 3, 37);
    assert.equal(toHex(backing.subarray(3, 19)).toUpperCase(), 'E03EAD0935C95E80E166B16DD92B4EB4');
    assert.equal(backing[2], 0);
    assert.equal(backing[40], 0);
  });

  it('B.3: key derivation of the SRTP and SRTCP session keys', () => {
    const key = fromHex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const salt = fromHex('0EC675AD498AFEEBB6960B3AABE6');
    const hex = (label: number, n: number) => toHex(deriveSessionKey(key, salt, label, n)).toUpperCase();
    assert.equal(hex(LABEL.RTP_ENCRYPTION, 16), 'C61E7A93744F39EE10734AFE3FF7A087');
    assert.equal(hex(LABEL.RTP_SALT, 14), '30CBBC08863D8C85D49DB34A9AE1');
    assert.equal(hex(LABEL.RTP_AUTH, 20), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
    assert.equal(
      hex(LABEL.RTP_AUTH, 94),
      'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE' +
        'E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25' +
        '6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2',
    );
    assert.equal(hex(LABEL.RTCP_ENCRYPTION, 16), '4C1AA45A81F73D61C800BBB00FBB1EAA');
    assert.equal(hex(LABEL.RTCP_SALT, 14), '9581C7AD87B3E530BF3E4454A8B3');
    assert.equal(hex(LABEL.RTCP_AUTH, 20), '8D54534FEB49AE8E7993A6BD0B844FC323A93DFD');
  });
});

const RTP =
  '8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573';
const RTCP =
  '81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef';
const SALT = '517569642070726f2071756f';
const GCM = [
  {
    name: 'AEAD_AES_128_GCM (§16.1, §17.1)',
    key: '000102030405060708090a0b0c0d0e0f',
    srtp: '8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce',
    srtcp:
      '81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4',
  },
  {
    name: 'AEAD_AES_256_GCM (§16.2, §17.2)',
    key: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    srtp: '8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13',
    srtcp:
      '81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4',
  },
];

/** Both engines must give identical bytes: JavaScript GHASH (short packets) and native GCM (long ones). */
const ENGINES = [
  { engine: 'JavaScript GHASH', jsMaxLength: 1 << 20 },
  { engine: 'native GCM', jsMaxLength: 0 },
];

function gcmCipher(key: string, jsMaxLength: number): AesGcmCipher {
  return new AesGcmCipher(
    { rtpKey: fromHex(key), rtpSalt: fromHex(SALT), rtcpKey: fromHex(key), rtcpSalt: fromHex(SALT) },
    { jsMaxLength },
  );
}

function withHeadroom(hex: string, extra: number): { buf: Uint8Array; length: number } {
  const bytes = fromHex(hex);
  const buf = new Uint8Array(PROTECT_HEADROOM + bytes.byteLength + extra);
  buf.set(bytes, PROTECT_HEADROOM);
  return { buf, length: bytes.byteLength };
}

describe('RFC 7714 vectors', () => {
  for (const { engine, jsMaxLength } of ENGINES)
    for (const v of GCM) {
      it(`${v.name}, ${engine}: SRTP protect and unprotect byte for byte`, () => {
        const c = gcmCipher(v.key, jsMaxLength);
        const { buf, length } = withHeadroom(RTP, 16);
        const n = c.protectRtp(buf, PROTECT_HEADROOM, 12, length, 0x5501a0b2, 0xf17b);
        assert.equal(toHex(buf.subarray(PROTECT_HEADROOM, PROTECT_HEADROOM + n)), v.srtp);
        const packet = fromHex(v.srtp);
        const m = c.unprotectRtp(packet, 12, packet.byteLength, 0x5501a0b2, 0xf17b);
        assert.equal(toHex(packet.subarray(0, m)), RTP);
        const tampered = fromHex(v.srtp);
        tampered[20]! ^= 1;
        assert.equal(c.unprotectRtp(tampered, 12, tampered.byteLength, 0x5501a0b2, 0xf17b), -1);
      });

      it(`${v.name}, ${engine}: SRTCP protect and unprotect byte for byte`, () => {
        const c = gcmCipher(v.key, jsMaxLength);
        const { buf, length } = withHeadroom(RTCP, 20);
        const n = c.protectRtcp(buf, PROTECT_HEADROOM, length, 0x4d617273, 0x5d4);
        assert.equal(toHex(buf.subarray(PROTECT_HEADROOM, PROTECT_HEADROOM + n)), v.srtcp);
        const packet = fromHex(v.srtcp);
        const m = c.unprotectRtcp(packet, packet.byteLength, 0x4d617273, 0x5d4, true);
        assert.equal(toHex(packet.subarray(0, m)), RTCP);
      });
    }

  it('AEAD_AES_128_GCM (§17.3): SRTCP authenticated but not encrypted (E = 0)', () => {
    const c = gcmCipher(GCM[0]!.key, 0);
    const packet = fromHex(`${RTCP}841dd9683dd78ec92ae58790125f62b3000005d4`);
    const m = c.unprotectRtcp(packet, packet.byteLength, 0x4d617273, 0x5d4, false);
    assert.equal(toHex(packet.subarray(0, m)), RTCP);
    packet[10]! ^= 1;
    assert.equal(c.unprotectRtcp(packet, packet.byteLength, 0x4d617273, 0x5d4, false), -1);
  });
});
