// Log entries of the logging channel and their compact binary codec (FT paper §2.1, §2.2).
// An entry records one "door" of the primary's machine at the instruction count where it opened.

export type LogEntry =
  /** A frame DMA'd into the guest's receive buffer, with its NIC interrupt. */
  | { readonly seq: number; readonly icount: number; readonly kind: 'packet'; readonly frame: Uint8Array }
  /** A timer interrupt. */
  | { readonly seq: number; readonly icount: number; readonly kind: 'timer' }
  /** A disk request's completion; a read carries its data (the backup never reads the disk). */
  | { readonly seq: number; readonly icount: number; readonly kind: 'disk'; readonly ok: boolean; readonly data: Uint8Array | null }
  /** The value a non-deterministic instruction (`in CLOCK`/`in RANDOM`) returned. */
  | { readonly seq: number; readonly icount: number; readonly kind: 'nondet'; readonly port: number; readonly value: number }
  /** An output (network send or disk write): the Output Rule holds it until this entry is acked. */
  | { readonly seq: number; readonly icount: number; readonly kind: 'output'; readonly output: OutputKind; readonly digest: number }
  /** The primary's state hash at this icount, for divergence detection. */
  | { readonly seq: number; readonly icount: number; readonly kind: 'hash'; readonly hash: string }
  /** A control operation carried on the channel (power-off: the backup must not go live). */
  | { readonly seq: number; readonly icount: number; readonly kind: 'control'; readonly control: 'power-off' };

export type LogEntryKind = LogEntry['kind'];
export type OutputKind = 'net' | 'disk-write';

/** Entries injected at an instruction boundary (as opposed to consumed while executing one). */
export function isBoundaryEntry(e: LogEntry): boolean {
  return e.kind === 'packet' || e.kind === 'timer' || e.kind === 'disk' || e.kind === 'hash' || e.kind === 'control';
}

/** FNV-1a of a byte array: the digest an output entry carries so the backup can compare. */
export function digestBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

// ---------------------------------------------------------------- codec

const FORMAT_VERSION = 1;
const KIND_CODE: Record<LogEntryKind, number> = { packet: 1, timer: 2, disk: 3, nondet: 4, output: 5, hash: 6, control: 7 };

/** A batch of entries as sent on the logging channel, plus the primary's icount horizon. */
export interface LogBatch {
  readonly entries: readonly LogEntry[];
  /** The backup may execute up to this icount: every entry before it is in this or an earlier batch. */
  readonly horizon: number;
  /** The newest seq the primary had sent: the horizon holds only for a backup that has them all. */
  readonly lastSeq: number;
}

class Writer {
  private _buf = new Uint8Array(256);
  length = 0;
  private _ensure(n: number): void {
    if (this.length + n <= this._buf.length) return;
    const b = new Uint8Array(Math.max(this._buf.length * 2, this.length + n));
    b.set(this._buf.subarray(0, this.length));
    this._buf = b;
  }
  u8(v: number): void {
    this._ensure(1);
    this._buf[this.length++] = v;
  }
  /** Unsigned LEB128, for values up to 2^53. */
  uvar(v: number): void {
    this._ensure(8);
    while (v >= 0x80) {
      this._buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this._buf[this.length++] = v;
  }
  bytes(b: Uint8Array): void {
    this.uvar(b.length);
    this._ensure(b.length);
    this._buf.set(b, this.length);
    this.length += b.length;
  }
  u32(v: number): void {
    this._ensure(4);
    new DataView(this._buf.buffer).setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  done(): Uint8Array {
    return this._buf.slice(0, this.length);
  }
}

export class CodecError extends Error {}

class Reader {
  i = 0;
  constructor(private readonly _b: Uint8Array) {}
  u8(): number {
    if (this.i >= this._b.length) throw new CodecError('truncated log batch');
    return this._b[this.i++]!;
  }
  uvar(): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 8; k++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 0x80;
    }
    throw new CodecError('varint too long');
  }
  bytes(): Uint8Array {
    const n = this.uvar();
    if (this.i + n > this._b.length) throw new CodecError('truncated bytes');
    const out = this._b.slice(this.i, this.i + n);
    this.i += n;
    return out;
  }
  u32(): number {
    if (this.i + 4 > this._b.length) throw new CodecError('truncated u32');
    const v = new DataView(this._b.buffer, this._b.byteOffset).getUint32(this.i, true);
    this.i += 4;
    return v;
  }
}

/**
 * Encode a batch. Sequence numbers and icounts are deltas from the previous entry, so a busy
 * batch costs a few bytes per entry plus its payload.
 */
export function encodeBatch(batch: LogBatch): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT_VERSION);
  w.uvar(batch.entries.length);
  w.uvar(batch.horizon);
  w.uvar(batch.lastSeq);
  let seq = 0;
  let icount = 0;
  for (const e of batch.entries) {
    w.u8(KIND_CODE[e.kind]);
    w.uvar(e.seq - seq);
    w.uvar(e.icount - icount);
    seq = e.seq;
    icount = e.icount;
    switch (e.kind) {
      case 'packet':
        w.bytes(e.frame);
        break;
      case 'timer':
        break;
      case 'disk':
        w.u8((e.ok ? 1 : 0) | (e.data ? 2 : 0));
        if (e.data) w.bytes(e.data);
        break;
      case 'nondet':
        w.u8(e.port);
        w.u32(e.value);
        break;
      case 'output':
        w.u8(e.output === 'net' ? 0 : 1);
        w.u32(e.digest);
        break;
      case 'hash':
        w.u32(parseInt(e.hash.slice(0, 8), 16));
        w.u32(parseInt(e.hash.slice(8, 16), 16));
        break;
      case 'control':
        w.u8(0);
        break;
    }
  }
  return w.done();
}

/** The seq range a batch carries, read from its header and first entry only (null: no entries, or malformed). */
export function batchSeqRange(bytes: Uint8Array): { from: number; to: number } | null {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== FORMAT_VERSION) return null;
    const n = r.uvar();
    r.uvar(); // horizon
    const lastSeq = r.uvar();
    if (n === 0) return null;
    r.u8(); // the first entry's kind
    return { from: r.uvar(), to: lastSeq };
  } catch {
    return null;
  }
}

/** Decode a batch; throws CodecError on malformed input. */
export function decodeBatch(bytes: Uint8Array): LogBatch {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== FORMAT_VERSION) throw new CodecError(`unknown log format version ${version}`);
  const n = r.uvar();
  const horizon = r.uvar();
  const lastSeq = r.uvar();
  const entries: LogEntry[] = [];
  let seq = 0;
  let icount = 0;
  for (let k = 0; k < n; k++) {
    const code = r.u8();
    seq += r.uvar();
    icount += r.uvar();
    switch (code) {
      case 1:
        entries.push({ seq, icount, kind: 'packet', frame: r.bytes() });
        break;
      case 2:
        entries.push({ seq, icount, kind: 'timer' });
        break;
      case 3: {
        const flags = r.u8();
        entries.push({ seq, icount, kind: 'disk', ok: (flags & 1) !== 0, data: flags & 2 ? r.bytes() : null });
        break;
      }
      case 4: {
        const port = r.u8();
        entries.push({ seq, icount, kind: 'nondet', port, value: r.u32() | 0 });
        break;
      }
      case 5: {
        const o = r.u8();
        entries.push({ seq, icount, kind: 'output', output: o === 0 ? 'net' : 'disk-write', digest: r.u32() });
        break;
      }
      case 6: {
        const a = r.u32().toString(16).padStart(8, '0');
        const b = r.u32().toString(16).padStart(8, '0');
        entries.push({ seq, icount, kind: 'hash', hash: a + b });
        break;
      }
      case 7:
        r.u8();
        entries.push({ seq, icount, kind: 'control', control: 'power-off' });
        break;
      default:
        throw new CodecError(`unknown entry kind ${code}`);
    }
  }
  if (r.i !== bytes.length) throw new CodecError('trailing bytes after log batch');
  return { entries, horizon, lastSeq };
}

/** A short human description of an entry, for traces and the UI. */
export function describeEntry(e: LogEntry): string {
  switch (e.kind) {
    case 'packet':
      return `packet (${e.frame.length} B)`;
    case 'timer':
      return 'timer interrupt';
    case 'disk':
      return e.data ? `disk read completion (${e.data.length} B)` : `disk completion${e.ok ? '' : ' (error)'}`;
    case 'nondet':
      return `${e.port === 0x40 ? 'clock' : 'random'} = ${e.value >>> 0}`;
    case 'output':
      return e.output === 'net' ? 'network output' : 'disk write';
    case 'hash':
      return `state hash ${e.hash}`;
    case 'control':
      return 'power off';
  }
}
