import { describe, it, expect } from 'vitest';
import { decodeFrame, encodeFrame } from './protocol';

describe('wire protocol', () => {
  it('encodes the client and request ids as little-endian u16s before the text', () => {
    const f = encodeFrame(0x0102, 0xa0b0, 'GET k');
    expect(Array.from(f)).toEqual([0x02, 0x01, 0xb0, 0xa0, ...Array.from('GET k', (c) => c.charCodeAt(0))]);
  });

  it('round-trips frames, including empty text and extreme ids', () => {
    for (const [client, reqId, text] of [
      [0, 0, ''],
      [65535, 65535, 'PUT key value'],
      [1, 7, 'x'.repeat(300)],
    ] as const) {
      expect(decodeFrame(encodeFrame(client, reqId, text))).toEqual({ client, reqId, text });
    }
  });

  it('decodes null for frames shorter than the header', () => {
    expect(decodeFrame(new Uint8Array([]))).toBeNull();
    expect(decodeFrame(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(decodeFrame(new Uint8Array([1, 0, 2, 0]))).toEqual({ client: 1, reqId: 2, text: '' });
  });

  it('rejects ids that are not u16 and characters that are not bytes', () => {
    expect(() => encodeFrame(65536, 0, '')).toThrow(RangeError);
    expect(() => encodeFrame(-1, 0, '')).toThrow(RangeError);
    expect(() => encodeFrame(0, 1.5, '')).toThrow(RangeError);
    expect(() => encodeFrame(0, 0, '\u20ac')).toThrow(RangeError);
  });
});
