// Shared storage: the virtual disk and the FT test-and-set word (FT paper §2.3). Requests are
// served one at a time, in arrival order; whoever wants to go live must win test-and-set here.

import { DISK_BLOCKS, DISK_BLOCK_SIZE } from '../machine/isa';
import type { Message, NodeEnv, NodeId } from './messages';

export class SharedStorage {
  readonly disk = new Uint8Array(DISK_BLOCKS * DISK_BLOCK_SIZE);
  /** Who won test-and-set (the VM allowed to run without a partner), or null. */
  holder: NodeId | null = null;
  /** Blocks written, for the UI. */
  readonly touched = new Set<number>();
  private readonly _queue: { msg: Message; from: NodeId }[] = [];
  private _busy = false;

  constructor(
    readonly env: NodeEnv,
    readonly serviceMs = 0.5,
  ) {}

  receive(msg: Message, from: NodeId): void {
    if (msg.t !== 'disk' && msg.t !== 'tas' && msg.t !== 'tas-clear') return;
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
    this.env.after(this.serviceMs, () => {
      this._serve(next.msg, next.from);
      this._serveNext();
    });
  }

  private _serve(msg: Message, from: NodeId): void {
    if (msg.t === 'tas') {
      // Atomic test-and-set: the first asker wins; asking again after winning still wins.
      const won = this.holder === null || this.holder === from;
      if (won) this.holder = from;
      this.env.trace({ type: 'storage/tas', holder: this.holder });
      this.env.send(from, { t: 'tas-result', tag: msg.tag, won, holder: this.holder });
    } else if (msg.t === 'tas-clear') {
      if (this.holder === from) this.holder = null;
      this.env.trace({ type: 'storage/tas', holder: this.holder });
    } else if (msg.t === 'disk') {
      const ok = msg.block >= 0 && msg.block < DISK_BLOCKS;
      const off = msg.block * DISK_BLOCK_SIZE;
      let data: Uint8Array | null = null;
      if (ok && msg.op === 'write' && msg.data) {
        this.disk.set(msg.data.subarray(0, DISK_BLOCK_SIZE), off);
        this.touched.add(msg.block);
      } else if (ok && msg.op === 'read') {
        data = this.disk.slice(off, off + DISK_BLOCK_SIZE);
      }
      this.env.trace({ type: 'storage/disk', op: msg.op, block: msg.block, from });
      this.env.send(from, { t: 'disk-done', tag: msg.tag, ok, data });
    }
  }
}
