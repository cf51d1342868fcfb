// Shared storage: the virtual disk and the FT test-and-set word (FT paper §2.3). Requests are
// served one at a time, in arrival order; whoever wants to go live must win test-and-set here.
//
// The word carries a generation (Lockstep's equivalent of vSphere's "atomic file locking on
// shared storage"): a pair of VMs is formed at one generation, and a test-and-set succeeds only
// for a VM of the current generation, moving the word to the next one with the winner as holder.
// A new backup started from the live VM (FT VMotion) joins the holder's generation, so restoring
// redundancy needs no clearing of the word, and a stale VM (an old partner that was paused or cut
// off) can never win it back. Disk writes carry the writer's generation too: a write from a VM
// whose generation the word has left behind is refused (fencing), so a stale VM cannot overwrite
// what the VM that went live wrote.

import { DISK_BLOCKS, DISK_BLOCK_SIZE } from '../machine/isa';
import { digestBytes } from './log';
import type { Message, NodeEnv, NodeId } from './messages';

/** Why a disk request failed, in the trace. */
export type DiskRefusal = 'bad block' | 'no data' | 'stale generation';

export class SharedStorage {
  readonly disk = new Uint8Array(DISK_BLOCKS * DISK_BLOCK_SIZE);
  /** Who won test-and-set last (the VM allowed to run without a partner), or null. */
  holder: NodeId | null = null;
  /** The test-and-set word's generation: the pair of VMs allowed to claim it next. */
  generation = 0;
  /** Blocks written, for the UI. */
  readonly touched = new Set<number>();
  private readonly _queue: { msg: Message; from: NodeId }[] = [];
  private _busy = false;
  /** The request being served (its service time running). */
  private _serving: { msg: Message; from: NodeId } | null = null;

  constructor(
    readonly env: NodeEnv,
    readonly serviceMs = 0.5,
  ) {}

  receive(msg: Message, from: NodeId): void {
    if (msg.t !== 'disk' && msg.t !== 'tas') return;
    this._queue.push({ msg, from });
    if (!this._busy) this._serveNext();
  }

  private _serveNext(): void {
    const next = this._queue.shift();
    if (!next) {
      this._busy = false;
      return;
    }
    this._busy = true;
    this._serving = next;
    this.env.after(this.serviceMs, () => this.onTimer('serve'), 'serve');
  }

  /** The service time is up (the simulator schedules timers as data: see NodeEnv.after). */
  onTimer(key: string): void {
    if (key !== 'serve') throw new Error(`unknown storage timer ${key}`);
    const cur = this._serving;
    this._serving = null;
    if (cur) this._serve(cur.msg, cur.from);
    this._serveNext();
  }

  private _serve(msg: Message, from: NodeId): void {
    if (msg.t === 'tas') {
      // Atomic test-and-set on the generation: the first of the current pair to ask wins; the
      // winner asking again (its answer was lost) still wins; anyone else loses.
      let won = false;
      if (msg.gen === this.generation) {
        this.holder = from;
        this.generation++;
        won = true;
      } else if (this.holder === from && msg.gen + 1 === this.generation) {
        won = true;
      }
      this.env.trace({ type: 'storage/tas', holder: this.holder, generation: this.generation, asker: from, won });
      this.env.send(from, { t: 'tas-result', tag: msg.tag, won, holder: this.holder, gen: this.generation });
    } else if (msg.t === 'disk') {
      let refused: DiskRefusal | null = null;
      if (msg.block < 0 || msg.block >= DISK_BLOCKS) refused = 'bad block';
      else if (msg.op === 'write' && msg.gen < this.generation) refused = 'stale generation';
      else if (msg.op === 'write' && (!msg.data || msg.data.length < DISK_BLOCK_SIZE)) refused = 'no data';
      const off = msg.block * DISK_BLOCK_SIZE;
      let data: Uint8Array | null = null;
      if (!refused && msg.op === 'write') {
        this.disk.set(msg.data!.subarray(0, DISK_BLOCK_SIZE), off);
        this.touched.add(msg.block);
      } else if (!refused) {
        data = this.disk.slice(off, off + DISK_BLOCK_SIZE);
      }
      this.env.trace({
        type: 'storage/disk',
        op: msg.op,
        block: msg.block,
        from,
        digest: !refused && msg.op === 'write' ? digestBytes(msg.data!.subarray(0, DISK_BLOCK_SIZE)) : null,
        refused,
      });
      this.env.send(from, { t: 'disk-done', tag: msg.tag, ok: refused === null, data });
    }
  }

  /** The digest of one block as it is on disk now (the durability checker compares these). */
  blockDigest(block: number): number {
    const off = block * DISK_BLOCK_SIZE;
    return digestBytes(this.disk.subarray(off, off + DISK_BLOCK_SIZE));
  }
}
