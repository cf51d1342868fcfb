// The request/reply wire format shared by kv-server and lease-server (and their clients):
//   bytes 0-1  client id   (u16, little-endian)
//   bytes 2-3  request id  (u16, little-endian)
//   bytes 4-   ASCII text, no trailing newline
// A reply echoes the request's client id and request id. Text is carried one byte per character
// (Latin-1), so tests can also build frames holding bytes the servers reject.

export const FRAME_HEADER_BYTES = 4;

/** The servers' receive buffer: a frame this long or longer is answered `ERR request too long`. */
export const SERVER_RX_BYTES = 64;

export interface Frame {
  readonly client: number;
  readonly reqId: number;
  readonly text: string;
}

function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} ${v} is not a u16`);
  return v;
}

export function encodeFrame(client: number, reqId: number, text: string): Uint8Array {
  u16(client, 'client id');
  u16(reqId, 'request id');
  const out = new Uint8Array(FRAME_HEADER_BYTES + text.length);
  out[0] = client & 0xff;
  out[1] = client >>> 8;
  out[2] = reqId & 0xff;
  out[3] = reqId >>> 8;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`character U+${c.toString(16).padStart(4, '0')} does not fit a byte`);
    out[FRAME_HEADER_BYTES + i] = c;
  }
  return out;
}

export function decodeFrame(frame: Uint8Array): Frame | null {
  if (frame.length < FRAME_HEADER_BYTES) return null;
  let text = '';
  for (let i = FRAME_HEADER_BYTES; i < frame.length; i++) text += String.fromCharCode(frame[i]!);
  return { client: frame[0]! | (frame[1]! << 8), reqId: frame[2]! | (frame[3]! << 8), text };
}
