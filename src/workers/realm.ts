// One realm's runtime (a VM worker, or the main thread's coordinator): a Scheduler on virtual
// time driven by the wall clock, and NodeEnvs for the nodes that live here. Messages that cross
// realms travel on the engine's Network (links, delay, order, cuts, drops), on this scheduler.
// The engine's nodes run here unchanged; all protocol decisions stay in src/engine.

import type { Message, NodeEnv, NodeId, Timer } from '../engine/ft/messages';
import type { TraceBody, TraceEvent } from '../engine/ft/trace';
import { Rng } from '../engine/util/rng';
import { Scheduler } from '../engine/sim/scheduler';

/** Maps wall time to virtual time: the same mapping is given to every realm. */
export interface ClockState {
  /** Virtual ms per wall ms. */
  readonly speed: number;
  readonly paused: boolean;
  /** Wall time (ms since the epoch, performance.timeOrigin + performance.now()) of the anchor. */
  readonly anchorWall: number;
  readonly anchorVirtual: number;
}

export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function virtualAt(c: ClockState, wall: number): number {
  return c.paused ? c.anchorVirtual : c.anchorVirtual + (wall - c.anchorWall) * c.speed;
}

/** Re-anchor a clock at `wall` with a new speed or pause state (virtual time is continuous). */
export function reanchor(c: ClockState, wall: number, change: { speed?: number; paused?: boolean }): ClockState {
  return { speed: change.speed ?? c.speed, paused: change.paused ?? c.paused, anchorWall: wall, anchorVirtual: virtualAt(c, wall) };
}

/** A message crossing realms, stamped with the sender's virtual time and its id (`A#12`, see wire.ts). */
export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly stamp: number;
  readonly msg: Message;
  /** The id its sender gave it: where it lands, its outcome is traced (net/delivered or net/dropped). */
  readonly id?: string;
}

/** Wall-clock budget of one pump, so a realm that falls behind stays responsive. */
const PUMP_BUDGET_MS = 10;
/** The longest a realm blocks, mid-pump, for its peer's progress in shared memory (wall ms). */
const FLOOR_WAIT_MS = 0.5;
/** A pump ends early once it has gathered this many trace events, so they leave in bounded batches. */
const PUMP_TRACE_LIMIT = 4000;

export class Realm {
  readonly sched = new Scheduler();
  clock: ClockState;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _traceOut: TraceEvent[] = [];
  /** How far behind the wall-clock mapping this realm's virtual time is (ms), after the last pump. */
  behindMs = 0;
  /**
   * The slowest realm's virtual time, as last reported, and how far past it this realm may run.
   * A realm starved of CPU for a moment must not look dead to its peer: the others wait for it.
   */
  floor = Infinity;
  slackMs = Infinity;
  onTrace: ((events: TraceEvent[]) => void) | null = null;
  /** Brings `floor` up to date from shared memory, where the pair keeps its progress (sharedClock.ts). */
  freshFloor: (() => void) | null = null;
  /**
   * Where the peer's progress is in shared memory: block up to `ms` of wall time for the floor to
   * reach `need`. True at once when something waits in the logging channel's ring; false when
   * it did not come in time.
   */
  waitFloor: ((ms: number, need: number) => boolean) | null = null;
  /**
   * Where the peer's progress is in shared memory: this realm goes back to its event loop until
   * the floor reaches `need` (the peer then wakes it with a message). False when it already has.
   */
  parkFloor: ((need: number) => boolean) | null = null;
  /** Wall ms between onProgress calls during a pump. */
  progressEveryMs = 0.25;
  onPumped: (() => void) | null = null;
  /** Called during a long pump, at most every `progressEveryMs` of wall time. */
  onProgress: (() => void) | null = null;
  /**
   * Backpressure: while this says so, the realm does not advance (what it produced has not been
   * taken yet). Whoever lifts it kicks the realm.
   */
  hold: (() => boolean) | null = null;

  constructor(clock: ClockState) {
    this.clock = clock;
  }

  env(id: NodeId, seed: number, send: (to: NodeId, msg: Message) => void): NodeEnv {
    const sched = this.sched;
    return {
      id,
      rng: new Rng(seed),
      now: () => sched.now,
      after: (ms: number, fn: () => void): Timer => {
        const t = sched.after(ms, fn);
        return { cancel: () => sched.cancel(t) };
      },
      send,
      trace: (body: TraceBody) => {
        this._traceOut.push({ ...body, t: sched.now } as TraceEvent);
      },
    };
  }

  /** Take the trace events gathered since the last call. */
  drainTrace(): TraceEvent[] {
    const out = this._traceOut;
    this._traceOut = [];
    return out;
  }

  /** Put a trace event in this realm's stream, at its current virtual time. */
  note(body: TraceBody): void {
    this._traceOut.push({ ...body, t: this.sched.now } as TraceEvent);
  }

  /** Run everything due by now (within a wall budget), then come back soon. */
  start(): void {
    this.kick();
  }

  stop(): void {
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = null;
    this._soonChannel.port1.onmessage = null;
    this._soonChannel.port1.close();
  }

  /**
   * The virtual time this realm has safely reached: nothing will happen here before it (every
   * event before it has run, and the next one is later). Slower realms hold the others back.
   */
  safeTime(): number {
    return Math.min(virtualAt(this.clock, wallNow()), this.sched.peekTime(), Math.max(this.sched.now, this.floor + this.slackMs));
  }

  /** Run a pump as soon as possible. A MessageChannel task, unlike setTimeout(0), is not clamped to 4 ms. */
  kick(): void {
    if (this._soon) return;
    this._soon = true;
    this._soonPort.postMessage(null);
  }
  private _soon = false;
  private readonly _soonChannel = (() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      this._soon = false;
      if (this._timer !== null) {
        clearTimeout(this._timer);
        this._timer = null;
      }
      this.pump();
    };
    return ch;
  })();
  private readonly _soonPort = this._soonChannel.port2;

  /** The floor that lets this realm move on: to its next event, or to the clock if that comes first. */
  private _need(clockTarget: number): number {
    return Math.min(this.sched.peekTime(), clockTarget) - this.slackMs;
  }

  pump(): void {
    this.freshFloor?.();
    const clockTarget = virtualAt(this.clock, wallNow());
    const deadline = performance.now() + PUMP_BUDGET_MS;
    let nextReport = performance.now() + this.progressEveryMs;
    const hold = this.hold;
    if (hold?.()) {
      this.behindMs = Math.max(0, clockTarget - this.sched.now);
      this.onPumped?.();
      return; // lifted by a kick
    }
    let stopped = false;
    const shouldStop = (): boolean => {
      const t = performance.now();
      // Let the peer know how far we have got while we work, so the two realms run side by side.
      if (t >= nextReport && this.onProgress) {
        nextReport = t + this.progressEveryMs;
        this.onProgress();
      }
      stopped = t > deadline || this._traceOut.length >= PUMP_TRACE_LIMIT || (hold !== null && hold());
      return stopped;
    };
    // Run to the clock, or as far past the peer as the slack allows. Where the peer's progress is
    // read from shared memory (freshFloor), a bound reached is looked at again, and waited on for
    // a moment, before giving up: the peer is usually a few microseconds from moving it.
    for (;;) {
      const target = Math.min(clockTarget, this.floor + this.slackMs);
      this.sched.runUntil(target, shouldStop);
      if (stopped || target >= clockTarget || !this.freshFloor) break;
      this.freshFloor();
      if (this.floor + this.slackMs > target) continue;
      if (!this.waitFloor || performance.now() > deadline) break;
      this.onProgress?.(); // where we are, before we wait for the peer
      if (!this.waitFloor(FLOOR_WAIT_MS, this._need(clockTarget))) break;
      this.freshFloor();
      if (this.floor + this.slackMs <= target) break;
    }
    const target = Math.min(clockTarget, this.floor + this.slackMs);
    // Behind the clock, whether for lack of CPU or waiting for a slower realm: either way the
    // clock runs too fast for this machine.
    this.behindMs = Math.max(0, clockTarget - this.sched.now);
    if (this._traceOut.length > 0) this.onTrace?.(this.drainTrace());
    this.onPumped?.();
    if (this._timer === null && !this._soon) {
      // Behind: come straight back. Waiting for a slower realm: its progress message kicks us.
      // Paused: nothing moves until the clock changes or a message lands.
      const next = this.sched.peekTime();
      const clockNow = virtualAt(this.clock, wallNow());
      const capped = this.floor + this.slackMs < clockNow;
      if (hold?.()) {
        // Held: the one who lifts the hold kicks us.
      } else if (capped) {
        // (where memory is shared, the peer's message comes once the floor has got there)
        if (this.parkFloor && !this.parkFloor(this._need(clockNow))) this.kick();
        else this._timer = setTimeout(() => ((this._timer = null), this.pump()), 50); // (a safety net only)
      } else if (this.behindMs > 0) this.kick();
      else if (this.parkFloor && !this.parkFloor(Infinity)) this.kick(); // (the peer's message comes when it writes to the logging channel)
      else if (!this.clock.paused && next < Infinity) {
        const wallDelay = Math.max(1, Math.min(16, (next - target) / Math.max(this.clock.speed, 1e-9)));
        this._timer = setTimeout(() => ((this._timer = null), this.pump()), wallDelay);
      } else if (!this.clock.paused) {
        this._timer = setTimeout(() => ((this._timer = null), this.pump()), 16);
      }
    }
  }
}
