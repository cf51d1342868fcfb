// The simulated network: links with latency, jitter, loss and bandwidth, FIFO per direction
// (the logging channel is a TCP-like stream), cuts and partitions, and the switch that sends
// the service MAC's traffic to whichever VM advertised it last.

import { SERVICE, SWITCH, STORAGE, isClientNode, messageBytes, type Message, type NodeId } from '../ft/messages';
import type { DropReason, TraceBody } from '../ft/trace';
import { nextMessageId, sentEvent } from '../ft/wire';
import type { Rng, RngState } from '../util/rng';
import type { Scheduler } from './scheduler';

export interface LinkConfig {
  latencyMs: number;
  jitterMs: number;
  /** Probability a message is lost (never on the logging channel, which is reliable). */
  loss: number;
  /** 0 = unlimited. */
  bandwidthMbps: number;
}

export type LinkClass = 'channel' | 'storage' | 'clients';

export const DEFAULT_LINKS: Readonly<Record<LinkClass, LinkConfig>> = {
  // The paper's logging link: 10 Gbit/s, ~90 µs hypervisor-to-hypervisor ping (§5.2).
  channel: { latencyMs: 0.045, jitterMs: 0.01, loss: 0, bandwidthMbps: 10000 },
  storage: { latencyMs: 0.2, jitterMs: 0.05, loss: 0, bandwidthMbps: 4000 },
  clients: { latencyMs: 0.5, jitterMs: 0.2, loss: 0, bandwidthMbps: 1000 },
};

/** A link's settings in words (the fault event's detail, the same in both runtimes). */
export function describeLink(link: LinkClass, l: LinkConfig): string {
  const name = link === 'channel' ? 'logging channel' : link === 'storage' ? 'storage link' : "clients' network";
  return `${name} now ${l.latencyMs} ms, ${l.bandwidthMbps} Mbit/s${link === 'clients' ? `, ${Math.round(l.loss * 100)}% loss` : ''}`;
}

/**
 * How long a reliable link (the logging channel's TCP stream, the storage link) takes to resend a
 * lost segment: a fixed retransmission timeout, or a few link latencies on a slow link.
 */
export function retransmitMs(link: LinkConfig): number {
  return Math.max(2, 4 * link.latencyMs);
}

/** Whether a link class retransmits what is lost (TCP-like, iSCSI) or loses it (client links). */
export const RELIABLE: Readonly<Record<LinkClass, boolean>> = { channel: true, storage: true, clients: false };

/** Where the network sends a message, decided before it travels (both runtimes: see `route`). */
export type Route =
  /** Not for the network: anything but a MAC advertisement sent to the switch. */
  | { readonly kind: 'ignore' }
  /** A MAC advertisement: the switch sends the service's traffic to `from` once it arrives (or it was cut). */
  | { readonly kind: 'advertise'; readonly cut: boolean }
  | { readonly kind: 'drop'; readonly dest: NodeId; readonly cls: LinkClass; readonly why: DropReason }
  | { readonly kind: 'send'; readonly dest: NodeId; readonly cls: LinkClass };

/** What `route` reads of a network (the simulator's Network and the Web Workers coordinator are each one). */
export interface RouteView {
  readonly macOwner: NodeId | null;
  readonly blocked: ReadonlySet<string>;
  readonly links: Readonly<Record<LinkClass, LinkConfig>>;
}

/**
 * The switch and the links' rules, one copy for both runtimes: the service's address goes to
 * whichever VM advertised it last (nowhere when none has); a cut direction drops everything; a
 * lossy link (never the logging channel) loses what `chance(p)` says (drawn only when it has some loss).
 */
export function route(from: NodeId, to: NodeId, msg: Message, v: RouteView, chance: (p: number) => boolean): Route {
  if (to === SWITCH) return msg.t === 'advertise' ? { kind: 'advertise', cut: v.blocked.has(`${from}>${SWITCH}`) } : { kind: 'ignore' };
  const dest = to === SERVICE ? (v.macOwner ?? SWITCH) : to;
  const cls = Network.classify(from, dest);
  if (dest === SWITCH) return { kind: 'drop', dest, cls, why: 'dead' };
  if (v.blocked.has(`${from}>${dest}`)) return { kind: 'drop', dest, cls, why: 'cut' };
  const loss = v.links[cls].loss;
  if (cls !== 'channel' && loss > 0 && chance(loss)) return { kind: 'drop', dest, cls, why: 'loss' };
  return { kind: 'send', dest, cls };
}

/** Per direction of a link (`from>to`): when its wire is next free, and its last delivery (FIFO). */
export interface LinkClock {
  readonly freeAt: Map<string, number>;
  readonly lastDelivery: Map<string, number>;
}

/**
 * When a message of `bytes` put on link direction `key` at `now` has left its sender (its last bit
 * on the wire: serialised behind what went before, at the link's bandwidth) and when it arrives
 * (latency and jitter later, never before an earlier message on the same direction). `jitter01`
 * is a sample in [0, 1). The one delay model of both runtimes.
 */
export function linkTiming(clock: LinkClock, key: string, now: number, bytes: number, link: LinkConfig, jitter01: number): { transmitted: number; at: number } {
  const serial = link.bandwidthMbps > 0 ? (bytes * 8) / (link.bandwidthMbps * 1000) : 0;
  const transmitted = Math.max(now, clock.freeAt.get(key) ?? 0) + serial;
  clock.freeAt.set(key, transmitted);
  const at = Math.max(transmitted + link.latencyMs + jitter01 * link.jitterMs, clock.lastDelivery.get(key) ?? 0);
  clock.lastDelivery.set(key, at);
  return { transmitted, at };
}

/**
 * A message dropped at `now` on a reliable link: when the sender's stack resends it, when the
 * resent copy arrives, and when the messages that were behind it on the same direction arrive
 * (`behind`, their arrival times in order): none overtakes it (the stream is FIFO). Both runtimes
 * schedule a learner's drop with this.
 */
export function retransmission(now: number, link: LinkConfig, behind: readonly number[]): { resent: number; at: number; behind: number[] } {
  const resent = now + retransmitMs(link);
  const at = resent + link.latencyMs;
  let last = at;
  return { resent, at, behind: behind.map((t) => (last = Math.max(last, t))) };
}

export interface Receiver {
  receive(msg: Message, from: NodeId): void;
}

export interface NetworkOptions {
  /**
   * Frames the switch holds on their way to one client; more are dropped (counted in
   * `framesDropped`). Unbounded by default: the simulator's guests are bounded by their NIC's
   * time; the Web Workers runtime's page must bound what it holds, whatever a guest sends.
   */
  readonly switchQueue?: number;
}

export class Network {
  readonly links: Record<LinkClass, LinkConfig>;
  /** Directed pairs `from>to` that drop everything (cuts and partitions). */
  readonly blocked = new Set<string>();
  /** Who receives traffic for the service MAC. */
  macOwner: NodeId | null = null;
  readonly bytes: Record<LinkClass, number> = { channel: 0, storage: 0, clients: 0 };
  private readonly _nodes = new Map<NodeId, Receiver>();
  private readonly _freeAt = new Map<string, number>();
  private readonly _lastDelivery = new Map<string, number>();
  /** When each killed node died: what it had not finished putting on the wire is lost. */
  private readonly _diedAt = new Map<NodeId, number>();
  /** Messages each node has sent (the `n` of its message ids `A#n`). */
  private readonly _sentBy = new Map<NodeId, number>();

  constructor(
    private readonly _sched: Scheduler,
    private readonly _rng: Rng,
    links: Partial<Record<LinkClass, Partial<LinkConfig>>> = {},
    /** Where the network reports what it carries (net/sent, net/delivered, net/dropped), at virtual time `at`. */
    private readonly _trace: (body: TraceBody, at: number) => void = () => undefined,
    opts: NetworkOptions = {},
  ) {
    this._switchQueue = opts.switchQueue ?? Infinity;
    this.links = {
      channel: { ...DEFAULT_LINKS.channel, ...links.channel },
      storage: { ...DEFAULT_LINKS.storage, ...links.storage },
      clients: { ...DEFAULT_LINKS.clients, ...links.clients },
    };
  }

  attach(id: NodeId, node: Receiver): void {
    this._nodes.set(id, node);
  }

  /** Forget every attached node (a World restoring a snapshot attaches its own again). */
  detachAll(): void {
    this._nodes.clear();
  }

  static classify(a: NodeId, b: NodeId): LinkClass {
    if (a === STORAGE || b === STORAGE) return 'storage';
    if (isClientNode(a) || isClientNode(b) || a === SWITCH || b === SWITCH || b === SERVICE) return 'clients';
    return 'channel';
  }

  block(a: NodeId, b: NodeId, bothWays = true): void {
    this.blocked.add(`${a}>${b}`);
    if (bothWays) this.blocked.add(`${b}>${a}`);
  }

  /**
   * A node failed (fail-stop) at `at` (now by default): messages it had not fully transmitted never
   * arrive. A node of another realm whose own time lagged (see `heard`) died where it had got to.
   */
  kill(id: NodeId, at = this._sched.now): void {
    this._diedAt.set(id, Math.min(at, this._heard.get(id) ?? at));
  }

  /** Node `id`, living in another realm, had reached virtual time `t` (a message's stamp, a progress report). */
  heard(id: NodeId, t: number): void {
    if (t > (this._heard.get(id) ?? -Infinity)) this._heard.set(id, t);
  }
  private readonly _heard = new Map<NodeId, number>();

  healAll(): void {
    this.blocked.clear();
  }

  private _newId(from: NodeId): string {
    return nextMessageId(this._sentBy, from);
  }

  /**
   * Put `msg` on the wire now, or, for a node living in another realm (a VM in its worker), as it
   * did at its own virtual time `sent.stamp`, under the id it gave it (it arrives no earlier than now).
   */
  send(from: NodeId, to: NodeId, msg: Message, sent?: { readonly stamp: number; readonly id?: string | undefined }): void {
    const r = route(from, to, msg, this, this._chance);
    if (r.kind === 'ignore') return;
    const id = sent?.id ?? this._newId(from);
    const t = sent?.stamp ?? this._sched.now;
    const trace = (body: TraceBody): void => this._trace(body, t);
    if (r.kind === 'advertise') {
      // The switch learns the MAC's new port; modelled as instant for the switch itself.
      trace(sentEvent(id, from, SWITCH, msg, 'clients'));
      if (r.cut) return trace({ type: 'net/dropped', id, why: 'cut' });
      this._sched.post(t + Math.max(0, this.links.clients.latencyMs), 'net/mac', { owner: from, id });
      return;
    }
    const { dest, cls } = r;
    trace(sentEvent(id, from, dest, msg, cls));
    if (r.kind === 'drop') {
      // (what the switch had nowhere to send, or a cut, costs no bandwidth; a loss does)
      if (r.why === 'loss') this.bytes[cls] += messageBytes(msg);
      return trace({ type: 'net/dropped', id, why: r.why });
    }
    if (msg.t === 'frame' && isClientNode(dest)) {
      // The switch's port to a client holds so many frames; beyond that it drops them (counted).
      const queued = this._queued.get(dest) ?? 0;
      if (queued >= this._switchQueue) {
        this.framesDropped++;
        return trace({ type: 'net/dropped', id, why: 'loss' });
      }
      if (this._switchQueue < Infinity) this._queued.set(dest, queued + 1);
    }
    this._put(id, from, dest, msg, cls, t);
  }

  /**
   * A message another realm put on the wire at its virtual time `stamp`, and traced there (a log
   * entry from the peer VM's worker), reaches this end of the link: it lands after the link's
   * delay, in order, unless the direction is cut (now or before it lands) or the learner drops it.
   */
  arrive(from: NodeId, to: NodeId, msg: Message, stamp: number, id: string): void {
    if (this.blocked.has(`${from}>${to}`)) return this._trace({ type: 'net/dropped', id, why: 'cut' }, this._sched.now);
    this._put(id, from, to, msg, Network.classify(from, to), stamp);
  }

  /** On the wire from `t`: serialised, delayed and delivered in order (`linkTiming`), as data on the scheduler's queue (so a snapshot holds it). */
  private _put(id: string, from: NodeId, dest: NodeId, msg: Message, cls: LinkClass, t: number): void {
    const size = messageBytes(msg);
    this.bytes[cls] += size;
    const link = this.links[cls];
    const jitter01 = link.jitterMs > 0 ? this._rng.next() : 0;
    const { transmitted, at } = linkTiming({ freeAt: this._freeAt, lastDelivery: this._lastDelivery }, `${from}>${dest}`, t, size, link, jitter01);
    const flight: InFlight = { id, from, dest, msg, transmitted };
    this._sched.post(at, 'net/deliver', flight);
  }

  /** Frames the switch dropped: for a client that is not there, or beyond a port's queue (NetworkOptions.switchQueue). */
  framesDropped = 0;
  private readonly _switchQueue: number;
  /** Frames on their way to each client, when the switch's queue is bounded. */
  private readonly _queued = new Map<NodeId, number>();

  /** A frame for a client left the wire (delivered or dropped): its port has room again. */
  private _settled(f: InFlight): void {
    if (this._switchQueue === Infinity || f.msg.t !== 'frame') return;
    const n = this._queued.get(f.dest);
    if (n !== undefined) this._queued.set(f.dest, n - 1);
  }

  /** A loss drawn from this network's seeded random source. */
  private readonly _chance = (p: number): boolean => this._rng.chance(p);

  /** A scheduled network event (`net/deliver`, `net/mac`) is due. */
  dispatch(kind: string, data: unknown): void {
    const now = this._sched.now;
    if (kind === 'net/mac') {
      const m = data as { owner: NodeId; id: string };
      this.macOwner = m.owner;
      this._trace({ type: 'net/delivered', id: m.id }, now);
      return;
    }
    const f = data as InFlight;
    const { id, from, dest, msg, transmitted } = f;
    this._settled(f);
    const why = this._lost(from, dest, transmitted);
    if (why === 'dead' && msg.t === 'frame' && isClientNode(dest) && !this._nodes.has(dest)) this.framesDropped++;
    if (why) return this._trace({ type: 'net/dropped', id, why }, now);
    this._trace({ type: 'net/delivered', id }, now);
    this._nodes.get(dest)!.receive(msg, from);
  }

  private _lost(from: NodeId, dest: NodeId, transmitted: number): DropReason | null {
    // A cut made while the message was in flight drops it too.
    if (this.blocked.has(`${from}>${dest}`)) return 'cut';
    const died = this._diedAt.get(from);
    if (died !== undefined && died < transmitted) return 'dead';
    if (this._diedAt.has(dest) || !this._nodes.has(dest)) return 'dead';
    return null;
  }

  /** The ids of the messages on the wire now, oldest first. */
  inFlight(): string[] {
    return this._sched
      .pendingOf('net/deliver')
      .sort((a, b) => a.time - b.time || a.order - b.order)
      .map((e) => (e.data as InFlight).id);
  }

  /**
   * The learner drops message `id` on the wire. On a reliable link (the logging channel, storage)
   * the sender's stack resends it after a retransmission timeout, and what followed it on the same
   * direction waits behind it (FIFO, as TCP delivers in order); on a client link it is simply lost.
   * False when no such message is in flight.
   */
  drop(ref: string): boolean {
    const pending = this._sched.pendingOf('net/deliver');
    // "?n" (the fuzzer's): whichever message is n-th, mod how many are on the wire, oldest first.
    if (ref.startsWith('?')) {
      const ids = this.inFlight();
      if (ids.length === 0) return false;
      ref = ids[Number(ref.slice(1)) % ids.length]!;
    }
    const id = ref;
    const hit = pending.find((e) => (e.data as InFlight).id === id);
    if (!hit) return false;
    const f = hit.data as InFlight;
    this._sched.cancel(hit.id);
    const now = this._sched.now;
    this._trace({ type: 'net/dropped', id, why: 'learner' }, now);
    const cls = Network.classify(f.from, f.dest);
    if (!RELIABLE[cls]) {
      this._settled(f);
      return true;
    }
    const link = this.links[cls];
    // Head-of-line blocking: the same direction's later messages arrive after the resent one.
    const key = `${f.from}>${f.dest}`;
    const behind = pending
      .filter((e) => e !== hit && `${(e.data as InFlight).from}>${(e.data as InFlight).dest}` === key && (e.time > hit.time || (e.time === hit.time && e.order > hit.order)))
      .sort((a, b) => a.time - b.time || a.order - b.order);
    const plan = retransmission(this._sched.now, link, behind.map((e) => e.time));
    const again: InFlight = { ...f, id: `${id}.r`, transmitted: Math.max(f.transmitted, plan.resent) };
    this._trace(sentEvent(again.id, f.from, f.dest, f.msg, cls, id), now);
    this._sched.post(plan.at, 'net/deliver', again);
    let last = plan.at;
    behind.forEach((e, i) => {
      this._sched.cancel(e.id);
      last = plan.behind[i]!;
      this._sched.post(last, 'net/deliver', e.data);
    });
    this._lastDelivery.set(key, Math.max(this._lastDelivery.get(key) ?? 0, last));
    return true;
  }

  /** Everything but the attached nodes, as data (World snapshots). */
  saveState(): NetworkState {
    return {
      links: this.links,
      blocked: this.blocked,
      macOwner: this.macOwner,
      bytes: this.bytes,
      freeAt: this._freeAt,
      lastDelivery: this._lastDelivery,
      diedAt: this._diedAt,
      sentBy: this._sentBy,
      rng: this._rng.save(),
      framesDropped: this.framesDropped,
    };
  }

  loadState(s: NetworkState): void {
    for (const c of ['channel', 'storage', 'clients'] as const) {
      Object.assign(this.links[c], s.links[c]);
      this.bytes[c] = s.bytes[c];
    }
    copySet(this.blocked, s.blocked);
    this.macOwner = s.macOwner;
    copyMap(this._freeAt, s.freeAt);
    copyMap(this._lastDelivery, s.lastDelivery);
    copyMap(this._diedAt, s.diedAt);
    copyMap(this._sentBy, s.sentBy);
    this._rng.restore(s.rng);
    this.framesDropped = s.framesDropped;
  }
}

interface InFlight {
  readonly id: string;
  readonly from: NodeId;
  readonly dest: NodeId;
  readonly msg: Message;
  /** When its last bit left the sender (a sender that died before then never sent it). */
  readonly transmitted: number;
}

export interface NetworkState {
  readonly links: Readonly<Record<LinkClass, LinkConfig>>;
  readonly blocked: ReadonlySet<string>;
  readonly macOwner: NodeId | null;
  readonly bytes: Readonly<Record<LinkClass, number>>;
  readonly freeAt: ReadonlyMap<string, number>;
  readonly lastDelivery: ReadonlyMap<string, number>;
  readonly diedAt: ReadonlyMap<NodeId, number>;
  readonly sentBy: ReadonlyMap<NodeId, number>;
  readonly rng: RngState;
  readonly framesDropped: number;
}

function copySet<T>(to: Set<T>, from: ReadonlySet<T>): void {
  to.clear();
  for (const v of from) to.add(v);
}

function copyMap<K, V>(to: Map<K, V>, from: ReadonlyMap<K, V>): void {
  to.clear();
  for (const [k, v] of from) to.set(k, v);
}
