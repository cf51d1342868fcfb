// A primary's and its backup's workers share one block of memory, where the page allows it (it
// must be cross-origin isolated: vite.config.ts sends the headers). In it:
//  - each realm's safe time: how far it has got, read by the other at once, mid-pump;
//  - the logging channel, one byte ring per direction: log entries and acknowledgements are
//    written by the sender and taken in by the receiver mid-pump.
// By message, a report or an entry is read only when the receiving worker returns to its event
// loop, and at full speed the pair would spend most of its time waiting for those turns (a state
// hash and a heartbeat cross every 10 virtual ms). Without shared memory the clock port and the
// logging-channel port carry the same things, as before; the protocol is the same either way.
//
// Order on the logging channel is kept: a message the ring does not carry (FT VMotion's snapshot)
// goes by the port, and a numbered marker in the ring says where it comes in the stream.

import type { Message, NodeId } from '../engine/ft/messages';
import type { Envelope } from './realm';

const NOT_YET = -1n;
/**
 * The cell, per side: its safe virtual time in µs (rounded down: never more than was promised);
 * the safe time it waits for from its peer (µs, rounded up; NOT_YET when not waiting); whether
 * it waits in its event loop (1), where only a message wakes it; and its bell, which the peer
 * rings to wake it from Atomics.wait. A side wakes its peer only when the peer waits for what it
 * has just published or written, not on every report.
 */
const SAFE = 0;
const WANT = 2;
const PARKED = 0;
const BELL = 2;
const CELL_BYTES = 4 * BigInt64Array.BYTES_PER_ELEMENT + 4 * Int32Array.BYTES_PER_ELEMENT;
/** Bytes of one direction's ring: many wall-clock milliseconds of a busy log at full speed. */
export const RING_BYTES = 1 << 20;
const RING_HEAD_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;

export type ClockSide = 0 | 1;

export interface SharedClockInit {
  readonly buffer: SharedArrayBuffer;
  readonly side: ClockSide;
}

/** Whether this realm may share memory with its workers (the page is cross-origin isolated). */
export function canShareClock(): boolean {
  return (globalThis as { __lockstepNoSharedMemory?: boolean }).__lockstepNoSharedMemory !== true && typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** One pair's block, or null where memory cannot be shared. */
export function newPairMemory(): SharedArrayBuffer | null {
  return canShareClock() ? pairMemory(RING_BYTES) : null;
}

/** A pair's block with rings of `ringBytes` each (where SharedArrayBuffer exists). */
export function pairMemory(ringBytes: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(CELL_BYTES + 2 * (RING_HEAD_BYTES + ringBytes));
  new BigInt64Array(buffer, 0, 4).fill(NOT_YET);
  return buffer;
}

/**
 * One direction of the logging channel: a single-producer, single-consumer ring of records
 * (a u32 length, then that many bytes; a length of 0 means "continue at the start").
 */
export class ByteRing {
  private readonly _head: Int32Array;
  private readonly _data: Uint8Array;
  private readonly _view: DataView;
  readonly capacity: number;

  constructor(buffer: SharedArrayBuffer, offset: number, capacity: number) {
    this._head = new Int32Array(buffer, offset, 2); // [write position, read position]
    this._data = new Uint8Array(buffer, offset + RING_HEAD_BYTES, capacity);
    this._view = new DataView(buffer, offset + RING_HEAD_BYTES, capacity);
    this.capacity = capacity;
  }

  /** Append a record of `len` bytes that `fill` writes at `at`; false when there is no room now. */
  write(len: number, fill: (view: DataView, data: Uint8Array, at: number) => void): boolean {
    const cap = this.capacity;
    const need = 4 + len;
    let w = Atomics.load(this._head, 0);
    const r = Atomics.load(this._head, 1);
    const free = cap - 1 - ((w - r + cap) % cap);
    const tail = cap - w;
    if (need > tail) {
      if (free < tail + need) return false;
      if (tail >= 4) this._view.setUint32(w, 0, true);
      w = 0;
    } else if (free < need) return false;
    this._view.setUint32(w, len, true);
    fill(this._view, this._data, w + 4);
    Atomics.store(this._head, 0, (w + need) % cap);
    return true;
  }

  /** Whether a record waits to be read. */
  get pending(): boolean {
    return Atomics.load(this._head, 0) !== Atomics.load(this._head, 1);
  }

  /**
   * Read records in order while `take` accepts them (it returns false to leave the record for
   * later). Returns false if a record was left.
   */
  read(take: (view: DataView, data: Uint8Array, at: number, len: number) => boolean): boolean {
    const cap = this.capacity;
    const w = Atomics.load(this._head, 0);
    let r = Atomics.load(this._head, 1);
    while (r !== w) {
      if (cap - r < 4) {
        r = 0;
        continue;
      }
      const len = this._view.getUint32(r, true);
      if (len === 0) {
        r = 0;
        continue;
      }
      if (!take(this._view, this._data, r + 4, len)) {
        Atomics.store(this._head, 1, r);
        return false;
      }
      r = (r + 4 + len) % cap;
    }
    Atomics.store(this._head, 1, r);
    return true;
  }
}

const KIND_LOG = 1;
const KIND_ACK = 2;
const KIND_MARKER = 3;

/** An id or node name as one byte per character, if every character is ASCII; else null. */
function asciiLength(s: string): number | null {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return null;
  return s.length < 256 ? s.length : null;
}
function putAscii(view: DataView, at: number, s: string): number {
  view.setUint8(at, s.length);
  for (let i = 0; i < s.length; i++) view.setUint8(at + 1 + i, s.charCodeAt(i));
  return at + 1 + s.length;
}
function getAscii(view: DataView, at: number): [string, number] {
  const n = view.getUint8(at);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(view.getUint8(at + 1 + i));
  return [s, at + 1 + n];
}

/** The bytes `env` takes in the ring, or null if the ring does not carry it (it goes by the port). */
function encodedLength(env: Envelope): number | null {
  const a = asciiLength(env.from);
  const b = asciiLength(env.to);
  const c = env.id === undefined ? null : asciiLength(env.id);
  if (a === null || b === null || c === null) return null;
  const head = 1 + 8 + 3 + a + b + c;
  if (env.msg.t === 'log') return head + 1 + env.msg.batch.length;
  if (env.msg.t === 'ack') return head + 3 * 8 + 1;
  return null;
}

export class SharedClock {
  private readonly _cells: BigInt64Array;
  /** Per side: parked (0, 1), then the bell (2, 3). */
  private readonly _flags: Int32Array;
  private readonly _mine: number;
  private readonly _peer: number;
  private readonly _out: ByteRing;
  private readonly _in: ByteRing;
  /** Messages sent by the port in ring mode, numbered; and those received, waiting for their marker. */
  private _portSent = 0;
  /** Written to the ring since the peer was last woken. */
  private _wrote = false;
  /** The peer's worker has ended: nothing will read this side's ring again. */
  peerGone = false;
  private readonly _portWaiting = new Map<number, Envelope>();

  constructor(init: SharedClockInit) {
    this._cells = new BigInt64Array(init.buffer, 0, 4);
    this._flags = new Int32Array(init.buffer, 4 * BigInt64Array.BYTES_PER_ELEMENT, 4);
    this._mine = init.side;
    this._peer = 1 - init.side;
    const ringBytes = (init.buffer.byteLength - CELL_BYTES) / 2 - RING_HEAD_BYTES;
    const ring = (side: number): ByteRing => new ByteRing(init.buffer, CELL_BYTES + side * (RING_HEAD_BYTES + ringBytes), ringBytes);
    this._out = ring(init.side);
    this._in = ring(1 - init.side);
  }

  /**
   * This realm has safely reached `safe` (virtual ms): the peer may read it now. The peer is woken
   * if it waits for this time, or for what was written to the ring since: at once if it blocks
   * in waitForPeer; true if it waits in its event loop (park), where a message must wake it.
   */
  publish(safe: number): boolean {
    const mine = SAFE + this._mine;
    let published = Atomics.load(this._cells, mine); // (only this side writes it)
    if (Number.isFinite(safe)) {
      const us = BigInt(Math.floor(safe * 1000));
      if (us > published) Atomics.store(this._cells, mine, (published = us));
    }
    const want = Atomics.load(this._cells, WANT + this._peer);
    if (want === NOT_YET || !(this._wrote || published >= want)) return false;
    this._wrote = false;
    if (Atomics.load(this._flags, PARKED + this._peer) === 1) {
      Atomics.store(this._flags, PARKED + this._peer, 0);
      Atomics.store(this._cells, WANT + this._peer, NOT_YET);
      return true;
    }
    Atomics.add(this._flags, BELL + this._peer, 1);
    Atomics.notify(this._flags, BELL + this._peer);
    return false;
  }

  /** The peer's last published safe time (virtual ms), or null before its first. */
  peerSafe(): number | null {
    const safe = Atomics.load(this._cells, SAFE + this._peer);
    return safe === NOT_YET ? null : Number(safe) / 1000;
  }

  /**
   * Put `env` on the logging channel. 'ring': written; 'full': no room now (try again later,
   * keeping the order); 'port': the ring does not carry it: send it by the port as message
   * `portSeq` (a marker in the ring keeps its place).
   */
  send(env: Envelope): { readonly how: 'ring' } | { readonly how: 'full' } | { readonly how: 'port'; readonly portSeq: number } {
    this._wrote = true; // (a marker too)
    const len = encodedLength(env);
    // (a record of at most a quarter of the ring always fits once the peer has read what is there)
    if (len === null || 4 + len > this._out.capacity / 4) {
      const marked = this._out.write(5, (view, _data, at) => {
        view.setUint8(at, KIND_MARKER);
        view.setUint32(at + 1, this._portSent + 1, true);
      });
      if (!marked) return { how: 'full' };
      return { how: 'port', portSeq: ++this._portSent };
    }
    const ok = this._out.write(len, (view, data, start) => {
      const msg = env.msg;
      view.setUint8(start, msg.t === 'log' ? KIND_LOG : KIND_ACK);
      view.setFloat64(start + 1, env.stamp, true);
      let at = putAscii(view, start + 9, env.from);
      at = putAscii(view, at, env.to);
      at = putAscii(view, at, env.id!);
      if (msg.t === 'log') {
        view.setUint8(at, msg.heartbeat ? 1 : 0);
        data.set(msg.batch, at + 1);
      } else if (msg.t === 'ack') {
        view.setFloat64(at, msg.ackedSeq, true);
        view.setFloat64(at + 8, msg.consumedSeq, true);
        view.setFloat64(at + 16, msg.icount, true);
        view.setUint8(at + 24, msg.heartbeat ? 1 : 0);
      }
    });
    return ok ? { how: 'ring' } : { how: 'full' };
  }

  /** A logging-channel message that came by the port, numbered `portSeq`: it waits for its marker. */
  portArrived(portSeq: number, env: Envelope): void {
    this._portWaiting.set(portSeq, env);
  }

  /**
   * Take in, in order, what the peer has put on the logging channel, and the peer's safe time as
   * it stood before (it counts for what the ring then held; one published while reading may
   * count for entries not read yet). `safe` is null before the peer's first, and when a message
   * that came by the port has not arrived yet (the rest waits behind it).
   */
  takeIn(arrived: (env: Envelope) => void): { readonly safe: number | null; readonly complete: boolean } {
    const safe = this.peerSafe();
    const complete = this.receive(arrived);
    return { safe: complete ? safe : null, complete };
  }

  /** Take in what the ring holds, in order; false if a message that came by the port is still missing. */
  receive(arrived: (env: Envelope) => void): boolean {
    return this._in.read((view, data, start, len) => {
      const kind = view.getUint8(start);
      if (kind === KIND_MARKER) {
        const seq = view.getUint32(start + 1, true);
        const env = this._portWaiting.get(seq);
        if (!env) return false;
        this._portWaiting.delete(seq);
        arrived(env);
        return true;
      }
      const stamp = view.getFloat64(start + 1, true);
      const [from, afterFrom] = getAscii(view, start + 9);
      const [to, afterTo] = getAscii(view, afterFrom);
      const [id, at] = getAscii(view, afterTo);
      let msg: Message;
      if (kind === KIND_LOG) msg = { t: 'log', batch: data.slice(at + 1, start + len), heartbeat: view.getUint8(at) === 1 };
      else msg = { t: 'ack', ackedSeq: view.getFloat64(at, true), consumedSeq: view.getFloat64(at + 8, true), icount: view.getFloat64(at + 16, true), heartbeat: view.getUint8(at + 24) === 1 };
      arrived({ from: from as NodeId, to: to as NodeId, stamp, msg, id });
      return true;
    });
  }

  /** The safe time, in the cell's µs, that satisfies a wait for `need` (virtual ms). */
  private static _wantUs(need: number): bigint {
    return Number.isFinite(need) ? BigInt(Math.max(0, Math.ceil(need * 1000))) : BigInt(Number.MAX_SAFE_INTEGER);
  }

  /** Whether the peer has published `want` (µs) or written something to the ring. */
  private _satisfied(want: bigint): boolean {
    if (this._in.pending) return true;
    const safe = Atomics.load(this._cells, SAFE + this._peer);
    return safe !== NOT_YET && safe >= want;
  }

  /**
   * Block (a worker only) up to `ms` for the peer to publish a safe time of at least `need`
   * (virtual ms). True at once, or as soon as it comes, when something waits in the ring or the
   * peer is there; false when it did not come in time.
   */
  waitForPeer(ms: number, need = -Infinity): boolean {
    const want = SharedClock._wantUs(need);
    Atomics.store(this._cells, WANT + this._mine, want);
    try {
      const end = performance.now() + ms;
      for (;;) {
        // (the bell read first: a ring after it, however soon, makes the wait return at once)
        const bell = Atomics.load(this._flags, BELL + this._mine);
        if (this._satisfied(want)) return true;
        const left = end - performance.now();
        if (left <= 0) return false;
        Atomics.wait(this._flags, BELL + this._mine, bell, left);
      }
    } finally {
      Atomics.store(this._cells, WANT + this._mine, NOT_YET);
    }
  }

  /**
   * This realm goes back to its event loop until the peer publishes `need` (virtual ms) or writes
   * to the ring: the peer's publish says to wake it with a message. False when that has already
   * happened (do not wait: go on at once).
   */
  park(need: number): boolean {
    const want = SharedClock._wantUs(need);
    Atomics.store(this._cells, WANT + this._mine, want);
    Atomics.store(this._flags, PARKED + this._mine, 1);
    if (!this._satisfied(want)) return true;
    this.unpark();
    return false;
  }

  /** Back from the event loop (whatever woke it): no message is owed. */
  unpark(): void {
    Atomics.store(this._flags, PARKED + this._mine, 0);
    Atomics.store(this._cells, WANT + this._mine, NOT_YET);
  }
}
