// Deterministic event scheduler on virtual time: events at equal times run in the order they
// were scheduled, so the same seed gives the same run, bit for bit.
//
// An event is either data — a kind and a payload, run by the owner's `dispatch` — or a closure.
// The simulator's World schedules only data, so its whole queue can be saved and restored
// (`save`/`load`); the Web Worker realms, which are never snapshotted, still use closures.

export type TimerId = number;

interface Ev {
  readonly time: number;
  readonly order: number;
  readonly id: TimerId;
  readonly fn: (() => void) | null;
  readonly kind: string;
  readonly data: unknown;
}

/** A data event as saved: closures cannot be saved. */
export interface SavedEvent {
  readonly time: number;
  readonly order: number;
  readonly id: TimerId;
  readonly kind: string;
  readonly data: unknown;
}

export interface SchedulerState {
  readonly now: number;
  readonly order: number;
  readonly executed: number;
  /** The heap in its array order (restoring it as is keeps the run identical). */
  readonly heap: readonly SavedEvent[];
  readonly cancelled: readonly TimerId[];
}

export type Dispatch = (kind: string, data: unknown) => void;

export class Scheduler {
  private _now = 0;
  private _heap: Ev[] = [];
  private _order = 0;
  private readonly _cancelled = new Set<TimerId>();
  /** Events run so far. */
  executed = 0;
  /** Runs data events (`post`). */
  dispatch: Dispatch = (kind) => {
    throw new Error(`no dispatcher for scheduled ${kind}`);
  };

  get now(): number {
    return this._now;
  }

  get pending(): number {
    return this._heap.length - this._cancelled.size;
  }

  at(time: number, fn: () => void): TimerId {
    const id = ++this._order;
    this._push({ time: Math.max(time, this._now), order: id, id, fn, kind: '', data: null });
    return id;
  }

  after(delay: number, fn: () => void): TimerId {
    return this.at(this._now + Math.max(0, delay), fn);
  }

  /** Schedule a data event: `dispatch(kind, data)` at `time` (never before now). */
  post(time: number, kind: string, data: unknown): TimerId {
    const id = ++this._order;
    this._push({ time: Math.max(time, this._now), order: id, id, fn: null, kind, data });
    return id;
  }

  cancel(id: TimerId): void {
    this._cancelled.add(id);
  }

  /** The data events of `kind` still to run (not cancelled), in no particular order. */
  pendingOf(kind: string): { id: TimerId; time: number; order: number; data: unknown }[] {
    const out: { id: TimerId; time: number; order: number; data: unknown }[] = [];
    for (const e of this._heap) if (e.kind === kind && !e.fn && !this._cancelled.has(e.id)) out.push({ id: e.id, time: e.time, order: e.order, data: e.data });
    return out;
  }

  /** Time of the next event, or Infinity. */
  peekTime(): number {
    while (this._heap.length > 0 && this._cancelled.has(this._heap[0]!.id)) {
      this._cancelled.delete(this._pop().id);
    }
    return this._heap[0]?.time ?? Infinity;
  }

  /** Run every event up to and including `time`, then set the clock to `time`. */
  runUntil(time: number, shouldStop?: () => boolean): void {
    for (;;) {
      if (shouldStop?.()) return;
      const next = this.peekTime();
      if (next > time) break;
      const ev = this._pop();
      this._now = ev.time;
      this.executed++;
      if (ev.fn) ev.fn();
      else this.dispatch(ev.kind, ev.data);
    }
    this._now = Math.max(this._now, time);
  }

  /** The whole queue as data. Throws if a closure is queued (it could not be restored). */
  save(): SchedulerState {
    const heap = this._heap.map((e): SavedEvent => {
      if (e.fn) throw new Error('a closure is scheduled: this scheduler cannot be saved');
      return { time: e.time, order: e.order, id: e.id, kind: e.kind, data: e.data };
    });
    return { now: this._now, order: this._order, executed: this.executed, heap, cancelled: [...this._cancelled] };
  }

  /** Replace the whole state with a saved one. */
  load(s: SchedulerState): void {
    this._now = s.now;
    this._order = s.order;
    this.executed = s.executed;
    this._heap = s.heap.map((e) => ({ time: e.time, order: e.order, id: e.id, fn: null, kind: e.kind, data: e.data }));
    this._cancelled.clear();
    for (const id of s.cancelled) this._cancelled.add(id);
  }

  private _push(ev: Ev): void {
    const h = this._heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private _pop(): Ev {
    const h = this._heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Ev, b: Ev): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}
