// Bytes for a snapshot of the simulated world: a compact binary encoding of plain data (numbers,
// strings, arrays, plain objects, Maps, Sets, typed arrays) that keeps shared references shared
// (an output the primary holds and the disk request it also tracks stay one object), sealed with
// a format version, deflate, and CRC-32 checks. Unsealing checks everything before any of it is
// used, so a doctored or cut-short snapshot is refused whole, never half-applied.

import { deflateSync, inflateSync } from 'fflate';

/** A snapshot that cannot be used: damaged, cut short, another format, or another run. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

/** Values the graph codec cannot encode itself (timer handles): `toId` maps them to a number, `fromId` back. */
export interface CodecHooks {
  toId?(v: object): number | undefined;
  fromId?(id: number): unknown;
}

const enum Tag {
  Undefined,
  Null,
  False,
  True,
  Int,
  Float,
  Str,
  StrRef,
  Arr,
  Obj,
  U8,
  I32,
  U16,
  MapT,
  SetT,
  Ref,
  Special,
  F64,
}

class Writer {
  buf = new Uint8Array(1 << 16);
  n = 0;
  private readonly _f64 = new Float64Array(1);
  private readonly _f64b = new Uint8Array(this._f64.buffer);

  private _room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }

  byte(v: number): void {
    this._room(1);
    this.buf[this.n++] = v;
  }

  /** An unsigned integer up to 2^53. */
  uint(v: number): void {
    this._room(8);
    while (v >= 128) {
      this.buf[this.n++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }

  f64(v: number): void {
    this._room(8);
    this._f64[0] = v;
    this.buf.set(this._f64b, this.n);
    this.n += 8;
  }

  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this._room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
}

class Reader {
  i = 0;
  private readonly _f64 = new Float64Array(1);
  private readonly _f64b = new Uint8Array(this._f64.buffer);
  constructor(private readonly _b: Uint8Array) {}

  byte(): number {
    if (this.i >= this._b.length) throw new SnapshotError('the snapshot ends too early');
    return this._b[this.i++]!;
  }

  uint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
      if (mul > 2 ** 56) throw new SnapshotError('the snapshot holds a malformed number');
    }
  }

  f64(): number {
    if (this.i + 8 > this._b.length) throw new SnapshotError('the snapshot ends too early');
    this._f64b.set(this._b.subarray(this.i, this.i + 8));
    this.i += 8;
    return this._f64[0]!;
  }

  bytes(): Uint8Array {
    const len = this.uint();
    if (this.i + len > this._b.length) throw new SnapshotError('the snapshot ends too early');
    const out = this._b.slice(this.i, this.i + len);
    this.i += len;
    return out;
  }

  get done(): boolean {
    return this.i === this._b.length;
  }
}

const SMALL = 2 ** 50;

/** Encode a graph of plain data. Throws on anything else (a class instance, a function). */
export function encodeGraph(root: unknown, hooks: CodecHooks = {}): Uint8Array {
  const w = new Writer();
  const ids = new Map<object, number>();
  const strs = new Map<string, number>();
  const enc = (v: unknown): void => {
    switch (typeof v) {
      case 'undefined':
        w.byte(Tag.Undefined);
        return;
      case 'boolean':
        w.byte(v ? Tag.True : Tag.False);
        return;
      case 'number':
        if (Number.isInteger(v) && Math.abs(v) < SMALL && !Object.is(v, -0)) {
          w.byte(Tag.Int);
          w.uint(v >= 0 ? v * 2 : -v * 2 - 1);
        } else {
          w.byte(Tag.F64);
          w.f64(v);
        }
        return;
      case 'string': {
        const known = strs.get(v);
        if (known !== undefined) {
          w.byte(Tag.StrRef);
          w.uint(known);
          return;
        }
        strs.set(v, strs.size);
        w.byte(Tag.Str);
        w.uint(v.length);
        for (let i = 0; i < v.length; i++) w.uint(v.charCodeAt(i));
        return;
      }
      case 'object':
        break;
      default:
        throw new Error(`cannot snapshot a ${typeof v}`);
    }
    if (v === null) {
      w.byte(Tag.Null);
      return;
    }
    const seen = ids.get(v);
    if (seen !== undefined) {
      w.byte(Tag.Ref);
      w.uint(seen);
      return;
    }
    const special = hooks.toId?.(v);
    if (special !== undefined) {
      w.byte(Tag.Special);
      w.uint(special);
      return;
    }
    ids.set(v, ids.size);
    if (Array.isArray(v)) {
      w.byte(Tag.Arr);
      w.uint(v.length);
      for (const x of v) enc(x);
    } else if (v instanceof Uint8Array) {
      w.byte(Tag.U8);
      w.bytes(v);
    } else if (v instanceof Int32Array || v instanceof Uint16Array) {
      w.byte(v instanceof Int32Array ? Tag.I32 : Tag.U16);
      w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    } else if (v instanceof Map) {
      w.byte(Tag.MapT);
      w.uint(v.size);
      for (const [k, x] of v) {
        enc(k);
        enc(x);
      }
    } else if (v instanceof Set) {
      w.byte(Tag.SetT);
      w.uint(v.size);
      for (const x of v) enc(x);
    } else {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new Error(`cannot snapshot a ${(v as { constructor?: { name?: string } }).constructor?.name ?? 'class instance'}`);
      }
      const keys = Object.keys(v);
      w.byte(Tag.Obj);
      w.uint(keys.length);
      for (const k of keys) {
        enc(k);
        enc((v as Record<string, unknown>)[k]);
      }
    }
  };
  enc(root);
  return w.buf.slice(0, w.n);
}

/** Decode what encodeGraph made. Throws SnapshotError on malformed bytes. */
export function decodeGraph(bytes: Uint8Array, hooks: CodecHooks = {}): unknown {
  const r = new Reader(bytes);
  const objs: unknown[] = [];
  const strs: string[] = [];
  const str = (): string => {
    const len = r.uint();
    const codes: number[] = [];
    let s = '';
    for (let i = 0; i < len; i++) {
      codes.push(r.uint());
      if (codes.length === 4096) s += String.fromCharCode(...codes.splice(0));
    }
    s += String.fromCharCode(...codes);
    strs.push(s);
    return s;
  };
  const dec = (): unknown => {
    const tag = r.byte() as Tag;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int: {
        const z = r.uint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case Tag.F64:
      case Tag.Float:
        return r.f64();
      case Tag.Str:
        return str();
      case Tag.StrRef: {
        const i = r.uint();
        if (i >= strs.length) throw new SnapshotError('the snapshot refers to a string it never held');
        return strs[i];
      }
      case Tag.Ref: {
        const i = r.uint();
        if (i >= objs.length) throw new SnapshotError('the snapshot refers to an object it never held');
        return objs[i];
      }
      case Tag.Special: {
        if (!hooks.fromId) throw new SnapshotError('the snapshot holds a value this reader cannot restore');
        return hooks.fromId(r.uint());
      }
      case Tag.Arr: {
        const len = r.uint();
        const a: unknown[] = [];
        objs.push(a);
        for (let i = 0; i < len; i++) a.push(dec());
        return a;
      }
      case Tag.U8: {
        const b = r.bytes();
        objs.push(b);
        return b;
      }
      case Tag.I32:
      case Tag.U16: {
        const b = r.bytes();
        const size = tag === Tag.I32 ? 4 : 2;
        if (b.length % size !== 0) throw new SnapshotError('the snapshot holds a malformed array');
        const a = tag === Tag.I32 ? new Int32Array(b.buffer, 0, b.length / 4) : new Uint16Array(b.buffer, 0, b.length / 2);
        objs.push(a);
        return a;
      }
      case Tag.MapT: {
        const n = r.uint();
        const m = new Map<unknown, unknown>();
        objs.push(m);
        for (let i = 0; i < n; i++) {
          const k = dec();
          m.set(k, dec());
        }
        return m;
      }
      case Tag.SetT: {
        const n = r.uint();
        const s = new Set<unknown>();
        objs.push(s);
        for (let i = 0; i < n; i++) s.add(dec());
        return s;
      }
      case Tag.Obj: {
        const n = r.uint();
        const o: Record<string, unknown> = {};
        objs.push(o);
        for (let i = 0; i < n; i++) {
          const k = dec();
          if (typeof k !== 'string') throw new SnapshotError('the snapshot holds a malformed object');
          o[k] = dec();
        }
        return o;
      }
      default:
        throw new SnapshotError(`the snapshot holds an unknown value tag ${tag as number}`);
    }
  };
  const root = dec();
  if (!r.done) throw new SnapshotError('the snapshot has bytes after its end');
  return root;
}

const MAGIC = [0x4c, 0x4b, 0x53, 0x4e]; // "LKSN"
/** The snapshot format's version: a reader refuses any other. */
export const SNAPSHOT_FORMAT = 1;
const HEADER = 4 + 1 + 1 + 4 + 4;

/**
 * Seal encoded bytes: magic, format version, flags (1 = deflated), the raw length and CRC-32,
 * the body, then a CRC-32 over everything before it.
 */
export function seal(raw: Uint8Array, compress = true): Uint8Array {
  const body = compress ? deflateSync(raw, { level: 1 }) : raw;
  const out = new Uint8Array(HEADER + body.length + 4);
  out.set(MAGIC, 0);
  out[4] = SNAPSHOT_FORMAT;
  out[5] = compress ? 1 : 0;
  const dv = new DataView(out.buffer);
  dv.setUint32(6, raw.length, true);
  dv.setUint32(10, crc32(raw), true);
  out.set(body, HEADER);
  dv.setUint32(HEADER + body.length, crc32(out.subarray(0, HEADER + body.length)), true);
  return out;
}

/** Check and open sealed bytes. Throws SnapshotError with the reason. */
export function unseal(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('not a snapshot: expected bytes');
  if (bytes.length < HEADER + 4 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new SnapshotError(bytes.length < HEADER + 4 && MAGIC.every((m, i) => i >= bytes.length || bytes[i] === m) ? 'the snapshot is truncated' : 'not a Lockstep snapshot');
  }
  if (bytes[4] !== SNAPSHOT_FORMAT) throw new SnapshotError(`snapshot format ${bytes[4]} is not supported (this version reads format ${SNAPSHOT_FORMAT})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 4;
  if (crc32(bytes.subarray(0, end)) !== dv.getUint32(end, true)) {
    throw new SnapshotError('the snapshot is damaged or truncated (its checksum does not match)');
  }
  const len = dv.getUint32(6, true);
  let raw: Uint8Array;
  try {
    raw = bytes[5] === 1 ? inflateSync(bytes.subarray(HEADER, end), { out: new Uint8Array(len) }) : bytes.slice(HEADER, end);
  } catch (err) {
    throw new SnapshotError(`the snapshot is damaged (${String(err)})`);
  }
  if (raw.length !== len || crc32(raw) !== dv.getUint32(10, true)) {
    throw new SnapshotError('the snapshot is damaged (its contents do not match their checksum)');
  }
  return raw;
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE), as zip and gzip use. */
export function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
