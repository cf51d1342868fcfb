// One realm's runtime (a VM worker, or the main thread's coordinator): a Scheduler on virtual
// time driven by the wall clock, NodeEnvs for the nodes that live here, and emulated links
// (latency, bandwidth, FIFO, cuts) for messages that cross realms through MessagePorts.
// The engine's nodes run here unchanged; all protocol decisions stay in src/engine.

import type { Message, NodeEnv, NodeId, Timer } from '../engine/ft/messages';
import { messageBytes } from '../engine/ft/messages';
import type { DropReason, TraceBody, TraceEvent } from '../engine/ft/trace';
import { sentEvent } from '../engine/ft/wire';
import { Network, RELIABLE, linkTiming, retransmission, type LinkClock, type LinkConfig } from '../engine/sim/network';
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
  /** Set on a message the trace follows: its landing here is traced as net/delivered or net/dropped. */
  readonly id?: string;
}

/** What becomes of a message when its link delay has passed (by default: the node here receives it). */
export interface Landing {
  /** Why it is lost after all (a cut, a dead receiver), or null. */
  readonly lost?: (env: Envelope) => DropReason | null;
  readonly receive?: (env: Envelope) => void;
  /** It left the wire, delivered or dropped for good (a switch port's queue frees a slot). */
  readonly settled?: () => void;
  /** The learner cannot drop it (the switch learning a MAC: not a message on a link in the simulator either). */
  readonly undroppable?: boolean;
}

/** A message on its way through this realm's emulated link. */
interface Flight {
  readonly env: Envelope;
  readonly at: number;
  readonly link: LinkConfig;
  readonly landing: Landing;
  /** When its last bit left the sender (a sender that died before then never sent it whole). */
  readonly transmitted: number;
  timer: number;
}

export interface Receiver {
  receive(msg: Message, from: NodeId): void;
}

/** Wall-clock budget of one pump, so a realm that falls behind stays responsive. */
const PUMP_BUDGET_MS = 10;
/** A pump ends early once it has gathered this many trace events, so they leave in bounded batches. */
const PUMP_TRACE_LIMIT = 4000;

export class Realm {
  readonly sched = new Scheduler();
  clock: ClockState;
  private readonly _nodes = new Map<NodeId, Receiver>();
  /** Each link direction's wire clock (the delay model is the simulator's: `linkTiming`). */
  private readonly _links: LinkClock = { freeAt: new Map(), lastDelivery: new Map() };
  /** When each node of another realm died: what it had not finished putting on the wire never arrives. */
  private readonly _diedAt = new Map<NodeId, number>();
  /** Traced messages on their way here, by id (the learner may drop one). */
  private readonly _flights = new Map<string, Flight>();
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
  onPumped: (() => void) | null = null;
  /** Called during a long pump, at most every 0.25 ms of wall time. */
  onProgress: (() => void) | null = null;
  /**
   * Backpressure: while this says so, the realm does not advance (what it produced has not been
   * taken yet). Whoever lifts it kicks the realm.
   */
  hold: (() => boolean) | null = null;

  constructor(clock: ClockState) {
    this.clock = clock;
  }

  attach(id: NodeId, node: Receiver): void {
    this._nodes.set(id, node);
  }

  detach(id: NodeId): void {
    this._nodes.delete(id);
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

  /** Deliver an envelope that arrived from another realm, after the link's delay. */
  deliver(env: Envelope, link: LinkConfig, jitter: number, landing: Landing = {}): void {
    const key = `${env.from}>${env.to}`;
    const { transmitted, at } = linkTiming(this._links, key, env.stamp, messageBytes(env.msg), link, jitter);
    this.fly(env, Math.max(at, this.sched.now), link, landing, transmitted);
  }

  /**
   * A node in another realm died (fail-stop), `at` on the shared clock. Its own virtual time may
   * have lagged that clock: it died where it had got to, the latest instant this realm heard of it
   * (see `heard`), when that is earlier.
   */
  senderDied(id: NodeId, at: number): void {
    this._diedAt.set(id, Math.min(at, this._heard.get(id) ?? at));
  }

  /** Node `id` of another realm had reached virtual time `t` (a message's stamp, a progress report). */
  heard(id: NodeId, t: number): void {
    if (t > (this._heard.get(id) ?? -Infinity)) this._heard.set(id, t);
  }
  private readonly _heard = new Map<NodeId, number>();

  /** Land `env` at virtual time `at` (already computed by the caller's link), FIFO with what this direction carries. */
  fly(env: Envelope, at: number, link: LinkConfig, landing: Landing = {}, transmitted = env.stamp): void {
    const key = `${env.from}>${env.to}`;
    const last = this._links.lastDelivery;
    last.set(key, Math.max(at, last.get(key) ?? 0));
    const f: Flight = { env, at, link, landing, transmitted, timer: 0 };
    this._schedule(f);
    this.kick();
  }

  private _schedule(f: Flight): void {
    const id = f.env.id;
    if (id !== undefined) this._flights.set(id, f);
    f.timer = this.sched.at(f.at, () => {
      if (id !== undefined) this._flights.delete(id);
      f.landing.settled?.();
      const env = f.env;
      // What the sender had not finished putting on the wire when it died never arrives (as in the simulator's Network).
      const died = this._diedAt.get(env.from);
      const why = f.landing.lost?.(env) ?? (died !== undefined && died < f.transmitted ? 'dead' : null) ?? (f.landing.receive || this._nodes.has(env.to) ? null : 'dead');
      if (id !== undefined) this.note(why ? { type: 'net/dropped', id, why } : { type: 'net/delivered', id });
      if (why) return;
      if (f.landing.receive) f.landing.receive(env);
      else this._nodes.get(env.to)?.receive(env.msg, env.from);
    });
  }

  /** Whether message `id` is on its way here now. */
  inFlight(id: string): boolean {
    return this._flights.has(id);
  }

  /**
   * The learner drops message `id`, on its way here. A reliable link (the logging channel,
   * storage) resends it after the retransmission timeout, and what followed it on the same
   * direction waits behind it; on a client link it is lost (the same rule as the simulator's
   * Network.drop, scheduled by the same `retransmission`). False when it is not in flight here.
   */
  drop(id: string): boolean {
    const f = this._flights.get(id);
    if (!f || f.landing.undroppable) return false;
    this._flights.delete(id);
    this.sched.cancel(f.timer);
    this.note({ type: 'net/dropped', id, why: 'learner' });
    const { from, to, msg } = f.env;
    const cls = Network.classify(from, to);
    if (!RELIABLE[cls]) {
      f.landing.settled?.();
      return true;
    }
    const key = `${from}>${to}`;
    const behind = [...this._flights.values()].filter((g) => `${g.env.from}>${g.env.to}` === key && (g.at > f.at || (g.at === f.at && g.timer > f.timer))).sort((a, b) => a.at - b.at || a.timer - b.timer);
    const plan = retransmission(this.sched.now, f.link, behind.map((g) => g.at));
    const again: Flight = { ...f, env: { ...f.env, id: `${id}.r` }, at: plan.at };
    this.note(sentEvent(`${id}.r`, from, to, msg, cls, id));
    this._schedule(again);
    let last = plan.at;
    behind.forEach((g, i) => {
      this.sched.cancel(g.timer);
      last = plan.behind[i]!;
      this._schedule({ ...g, at: last });
    });
    this._links.lastDelivery.set(key, Math.max(this._links.lastDelivery.get(key) ?? 0, last));
    this.kick();
    return true;
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

  pump(): void {
    const clockTarget = virtualAt(this.clock, wallNow());
    const target = Math.min(clockTarget, this.floor + this.slackMs);
    const deadline = performance.now() + PUMP_BUDGET_MS;
    let nextReport = performance.now() + 0.25;
    const hold = this.hold;
    if (hold?.()) {
      this.behindMs = Math.max(0, clockTarget - this.sched.now);
      this.onPumped?.();
      return; // lifted by a kick
    }
    this.sched.runUntil(target, () => {
      const t = performance.now();
      // Let the peer know how far we have got while we work, so the two realms run side by side.
      if (t >= nextReport && this.onProgress) {
        nextReport = t + 0.25;
        this.onProgress();
      }
      return t > deadline || this._traceOut.length >= PUMP_TRACE_LIMIT || (hold !== null && hold());
    });
    // Behind the clock, whether for lack of CPU or waiting for a slower realm: either way the
    // clock runs too fast for this machine.
    this.behindMs = Math.max(0, clockTarget - this.sched.now);
    if (this._traceOut.length > 0) this.onTrace?.(this.drainTrace());
    this.onPumped?.();
    if (this._timer === null && !this._soon) {
      // Behind: come straight back. Waiting for a slower realm: its progress message kicks us.
      // Paused: nothing moves until the clock changes or a message lands.
      const next = this.sched.peekTime();
      const capped = this.floor + this.slackMs < virtualAt(this.clock, wallNow());
      if (hold?.()) {
        // Held: the one who lifts the hold kicks us.
      } else if (capped) this._timer = setTimeout(() => ((this._timer = null), this.pump()), 50); // (a safety net only)
      else if (this.behindMs > 0) this.kick();
      else if (!this.clock.paused && next < Infinity) {
        const wallDelay = Math.max(1, Math.min(16, (next - target) / Math.max(this.clock.speed, 1e-9)));
        this._timer = setTimeout(() => ((this._timer = null), this.pump()), wallDelay);
      } else if (!this.clock.paused) {
        this._timer = setTimeout(() => ((this._timer = null), this.pump()), 16);
      }
    }
  }
}
