// Compact snapshots a session keeps in memory for rewinding. Most of a world changes slowly: a
// VM's 64 KiB of memory and the disk change a few pages at a time, and a client's history only
// grows (an operation, once answered or timed out, never changes again). So a kept snapshot is
//  - its pages of memory and disk (1 KiB each), interned in a PageStore shared by every snapshot
//    (deflated, stored once however many snapshots hold them),
//  - each client's finished operations as shared chunks of 64 (the same objects the live history
//    holds: they are immutable),
//  - and the rest, sealed bytes (format version, deflate, CRC-32).

import { deflateSync, inflateSync } from 'fflate';
import { MEM_SIZE, DISK_BLOCKS, DISK_BLOCK_SIZE } from '../machine/isa';
import type { ClientOp } from '../sim/clients';
import { SnapshotError, crc32, decodeGraph, encodeGraph, seal, unseal, type CodecHooks } from '../sim/snapshotCodec';
import type { WorldState } from '../sim/world';

const PAGE = 1024;
const CHUNK = 16;
/** Entries per separately stored run of a large checker map. */
const RUN = 64;

interface PageEntry {
  readonly hash: number;
  readonly len: number;
  readonly z: Uint8Array;
  refs: number;
}

/** Pages of memory and disk, each kept once (deflated) and counted by the snapshots holding it. */
export class PageStore {
  private readonly _byHash = new Map<number, PageEntry[]>();
  /** Bytes the stored pages take (deflated). */
  bytes = 0;
  count = 0;

  /** What each position (a VM's page, a disk page, a run of a map) held last time, raw: most do not change. */
  private readonly _last = new Map<string, { raw: Uint8Array; entry: PageEntry }>();

  /** The stored page equal to `page`, counted once more; `pos` names where it comes from (a fast path). */
  intern(page: Uint8Array, pos: string): PageEntry {
    const last = this._last.get(pos);
    if (last && last.entry.refs > 0 && equal(last.raw, page)) {
      last.entry.refs++;
      return last.entry;
    }
    const e = this._intern(page);
    this._last.set(pos, { raw: page.slice(), entry: e });
    return e;
  }

  /** What each run of a map held last time (its keys and values, by identity: values never change). */
  private readonly _lastRun = new Map<string, { items: readonly unknown[]; entry: PageEntry }>();

  /** A run of map entries (flattened key, value, key, value…), stored as its encoding. */
  internRun(items: readonly unknown[], pos: string): PageEntry {
    const last = this._lastRun.get(pos);
    if (last && last.entry.refs > 0 && last.items.length === items.length && last.items.every((x, i) => x === items[i])) {
      last.entry.refs++;
      return last.entry;
    }
    const pairs: unknown[] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
    const e = this.intern(encodeGraph(pairs), pos);
    this._lastRun.set(pos, { items, entry: e });
    return e;
  }

  private _intern(page: Uint8Array): PageEntry {
    const hash = crc32(page);
    let list = this._byHash.get(hash);
    if (list) {
      for (const e of list) {
        if (equal(inflateSync(e.z, { out: new Uint8Array(page.length) }), page)) {
          e.refs++;
          return e;
        }
      }
    } else {
      list = [];
      this._byHash.set(hash, list);
    }
    // Stored once, read back only on a rewind: worth the best compression.
    const e: PageEntry = { hash, len: page.length, z: deflateSync(page, { level: 9 }), refs: 1 };
    list.push(e);
    this.bytes += e.z.length;
    this.count++;
    return e;
  }

  release(e: PageEntry): void {
    if (--e.refs > 0) return;
    const list = this._byHash.get(e.hash)!;
    list.splice(list.indexOf(e), 1);
    if (list.length === 0) this._byHash.delete(e.hash);
    this.bytes -= e.z.length;
    this.count--;
  }
}

/** One kept snapshot: see the file comment. */
export interface PackedSnapshot {
  readonly main: Uint8Array;
  readonly pages: readonly PageEntry[];
  readonly histories: readonly (readonly (readonly ClientOp[])[])[];
  /** Large maps of the checkers' state, as runs of entries (insertion order kept), by field name. */
  readonly maps: Readonly<Record<string, readonly PageEntry[]>>;
}

/** The parts of a session state this packing takes apart (the rest is opaque to it). */
interface Packable {
  readonly world: WorldState;
  readonly safety: Record<string, unknown>;
}

const chunkCache = new WeakMap<ClientOp, readonly ClientOp[]>();
/** The last chunk list made per history array: once a history stops growing its list is shared too. */
const listCache = new WeakMap<readonly ClientOp[], readonly (readonly ClientOp[])[]>();

/** The finished operations of `h[from, from + CHUNK)` as a shared chunk. */
function chunkAt(h: readonly ClientOp[], from: number): readonly ClientOp[] {
  const first = h[from]!;
  const cached = chunkCache.get(first);
  if (cached) {
    let same = true;
    for (let i = 1; i < CHUNK && same; i++) same = cached[i] === h[from + i];
    if (same) return cached;
  }
  const chunk = Object.freeze(h.slice(from, from + CHUNK));
  chunkCache.set(first, chunk);
  return chunk;
}

/**
 * Pack a state that was just saved (its arrays may be the live ones: nothing is changed in them).
 * Writes placeholders into the state's own fresh objects.
 */
export function packSnapshot(state: Packable, store: PageStore, hooks: CodecHooks): PackedSnapshot {
  const pages: PageEntry[] = [];
  const w = state.world;
  const vms = w.vms.map((v) => {
    for (let p = 0; p < MEM_SIZE; p += PAGE) pages.push(store.intern(v.machine.mem.subarray(p, p + PAGE), `${v.id}:${p}`));
    return { ...v, machine: { ...v.machine, mem: null } };
  });
  const disk = w.storage.fields.disk as Uint8Array;
  for (let p = 0; p < disk.length; p += PAGE) pages.push(store.intern(disk.subarray(p, p + PAGE), `disk:${p}`));
  const histories: (readonly ClientOp[])[][] = [];
  const clients = w.clients.map((c) => {
    const h = c.fields.history as ClientOp[];
    let done = h.length;
    while (done > 0 && h[done - 1]!.status === 'pending') done--;
    let chunks: (readonly ClientOp[])[] = [];
    for (let i = 0; i + CHUNK <= done; i += CHUNK) chunks.push(chunkAt(h, i));
    const prev = listCache.get(h);
    if (prev && prev.length === chunks.length && prev.every((c, i) => c === chunks[i])) chunks = prev as (readonly ClientOp[])[];
    else listCache.set(h, chunks);
    histories.push(chunks);
    return { ...c, fields: { ...c.fields, history: h.slice(chunks.length * CHUNK) } };
  });
  const world = { ...w, vms, clients, storage: { ...w.storage, fields: { ...w.storage.fields, disk: null } } };
  const maps: Record<string, PageEntry[]> = {};
  const safety = { ...state.safety };
  for (const [k, v] of Object.entries(safety)) {
    if (!(v instanceof Map) || v.size < 2 * RUN) continue;
    // Values of these maps are replaced, never changed in place: a run with the same keys and values is the same.
    const runs: PageEntry[] = [];
    let run: unknown[] = [];
    for (const [key, val] of v) {
      run.push(key, val);
      if (run.length === 2 * RUN) {
        runs.push(store.internRun(run, `${k}:${runs.length}`));
        run = [];
      }
    }
    if (run.length > 0) runs.push(store.internRun(run, `${k}:${runs.length}`));
    maps[k] = runs;
    safety[k] = null;
  }
  const main = seal(encodeGraph({ ...state, world, safety }, hooks));
  return { main, pages, histories, maps };
}

/** Take a packed snapshot apart again: a state as `decodeGraph` would give for the whole. */
export function unpackSnapshot<S extends Packable>(p: PackedSnapshot, hooks: CodecHooks): S {
  const state = decodeGraph(unseal(p.main), hooks) as S;
  const w = state.world as unknown as { vms: { machine: { mem: Uint8Array | null } }[]; storage: { fields: Record<string, unknown> }; clients: { fields: Record<string, unknown> }[] };
  const pageCount = MEM_SIZE / PAGE;
  if (p.pages.length !== w.vms.length * pageCount + (DISK_BLOCKS * DISK_BLOCK_SIZE) / PAGE || p.histories.length !== w.clients.length) {
    throw new SnapshotError('the kept snapshot does not match its pages');
  }
  const fill = (out: Uint8Array, from: number): void => {
    for (let i = 0; i * PAGE < out.length; i++) inflateSync(p.pages[from + i]!.z, { out: out.subarray(i * PAGE, (i + 1) * PAGE) });
  };
  w.vms.forEach((v, i) => {
    const mem = new Uint8Array(MEM_SIZE);
    fill(mem, i * pageCount);
    v.machine.mem = mem;
  });
  for (const [k, runs] of Object.entries(p.maps)) {
    const m = new Map<unknown, unknown>();
    for (const e of runs) for (const [key, v] of decodeGraph(inflateSync(e.z, { out: new Uint8Array(e.len) })) as [unknown, unknown][]) m.set(key, v);
    state.safety[k] = m;
  }
  const disk = new Uint8Array(DISK_BLOCKS * DISK_BLOCK_SIZE);
  fill(disk, w.vms.length * pageCount);
  w.storage.fields.disk = disk;
  w.clients.forEach((c, i) => {
    const tail = c.fields.history as ClientOp[];
    const h: ClientOp[] = [];
    for (const chunk of p.histories[i]!) for (const op of chunk) h.push(op);
    for (const op of tail) h.push(op);
    c.fields.history = h;
  });
  return state;
}

/** Drop a kept snapshot's hold on its pages. */
export function releaseSnapshot(p: PackedSnapshot, store: PageStore): void {
  for (const e of p.pages) store.release(e);
  for (const runs of Object.values(p.maps)) for (const e of runs) store.release(e);
}


function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const shared = new WeakMap<object, readonly object[]>();

/**
 * `items` as chunks of `size` shared with earlier calls wherever the same objects sit in the same
 * order (a list that only grows, or is thinned now and then, costs a few pointers per snapshot),
 * plus the tail. The objects must never change.
 */
export function shareChunks<T extends object>(items: readonly T[], size = 64): { chunks: readonly (readonly T[])[]; tail: readonly T[] } {
  const chunks: (readonly T[])[] = [];
  let i = 0;
  for (; i + size <= items.length; i += size) {
    const cached = shared.get(items[i]!) as readonly T[] | undefined;
    let same = cached !== undefined && cached.length === size;
    for (let k = 1; k < size && same; k++) same = cached![k] === items[i + k];
    if (same) chunks.push(cached!);
    else {
      const chunk = Object.freeze(items.slice(i, i + size));
      shared.set(items[i]!, chunk);
      chunks.push(chunk);
    }
  }
  return { chunks, tail: items.slice(i) };
}
