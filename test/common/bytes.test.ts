import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader, ByteWriter, fromHex, TruncatedError, toHex } from '../../src/common/bytes.js';
import { crc32, crc32c } from '../../src/common/crc.js';

describe('ByteReader / ByteWriter', () => {
  it('round-trips every width big-endian', () => {
    const w = new ByteWriter(2);
    w.u8(0xab).u16(0xbeef).u24(0x123456).u32(0xdeadbeef).u48(0x123456789abc).u64(0x0102030405060708n);
    const bytes = w.finish();
    assert.equal(toHex(bytes), 'abbeef123456deadbeef123456789abc0102030405060708');
    const r = new ByteReader(bytes);
    assert.equal(r.u8(), 0xab);
    assert.equal(r.u16(), 0xbeef);
    assert.equal(r.u24(), 0x123456);
    assert.equal(r.u32(), 0xdeadbeef);
    assert.equal(r.u48(), 0x123456789abc);
    assert.equal(r.u64(), 0x0102030405060708n);
    assert.equal(r.remaining, 0);
  });

  it('throws TruncatedError past the end and returns views, not copies', () => {
    const data = fromHex('0102030405');
    const r = new ByteReader(data, 1, 3);
    const view = r.bytes(2);
    data[1] = 0xff;
    assert.equal(view[0], 0xff);
    assert.throws(() => r.u16(), TruncatedError);
    assert.throws(() => new ByteReader(data, 4, 2), RangeError);
    assert.throws(() => r.bytes(-1), TruncatedError);
  });

  it('rejects malformed hex', () => {
    assert.throws(() => fromHex('abc'), TypeError);
    assert.throws(() => fromHex('zz'), TypeError);
  });
});

describe('CRC', () => {
  it('matches the standard check values', () => {
    const check = new TextEncoder().encode('123456789');
    assert.equal(crc32(check), 0xcbf43926);
    assert.equal(crc32c(check), 0xe3069283);
  });
});
