// A VM worker: one hypervisor (src/engine/ft) in its own realm. The logging channel is a
// MessagePort to the peer VM's worker; everything else (clients, storage, the switch) is reached
// through a network port to the coordinator. No protocol logic lives here.

import { inspectVm } from '../engine/ft/inspect';
import { Hypervisor } from '../engine/ft/hypervisor';
import type { Message, NodeId } from '../engine/ft/messages';
import { nextMessageId, parseMessageId, sentEvent } from '../engine/ft/wire';
import { Network, type LinkConfig } from '../engine/sim/network';
import { Rng } from '../engine/util/rng';
import { checkerNeutral, TraceOutbox, WORKER_OUTBOX } from './flow';
import type { ClockPortMessage, LogPortMessage, NetPortMessage, VmInit, VmInspect } from './protocol';
import { SharedClock, type SharedClockInit } from './sharedClock';
import { Realm, virtualAt, wallNow, type ClockState, type Envelope } from './realm';

/** Network batches towards the coordinator: size, how many unacknowledged, and when the VM must hold. */
const NET_BATCH = 512;
const NET_IN_FLIGHT = 4;
const NET_HOLD_AT = 4096;
/** Trace batches at most once a frame; network batches at most every 2 ms (they carry the protocol's messages). */
const TRACE_EVERY_MS = 16;
const NET_EVERY_MS = 2;
/** Mid-pump progress reports, wall ms apart: by message only, and where shared memory carries them too. */
const MESSAGE_PROGRESS_EVERY_MS = 0.25;
const SHARED_PROGRESS_EVERY_MS = 0.02;
/**
 * Frames to one client that the VM's port to the switch takes: a burst of half a switch queue,
 * then so many a wall-clock ms. Beyond that a guest sending in a loop has its frames dropped here,
 * counted, before they cost the page anything (the client network may lose frames; a client
 * waiting for a reply retries). A client's own traffic (one request, one reply) is far below it.
 */
const PORT_BURST = 512;
const PORT_FRAMES_PER_MS = 0.5;

export class VmWorkerApi {
  private _realm: Realm | null = null;
  /** The logging channel's end in this worker: the engine's Network (delay, order, cuts, drops), as in the simulator. */
  private _network: Network | null = null;
  private _hv: Hypervisor | null = null;
  private _net: MessagePort | null = null;
  private _log: MessagePort | null = null;
  /** Logging channel cut, per direction (a fault the coordinator injects). */
  private _blockOut = false;
  private _blockIn = false;
  private _clock: MessagePort | null = null;
  private readonly _gonePeers = new Set<NodeId>();
  /** Flow control towards the page: trace and network batches wait here until it has taken the last ones. */
  private readonly _traceBox = new TraceOutbox(WORKER_OUTBOX, checkerNeutral);
  private _netQueue: Envelope[] = [];
  private _netInFlight = 0;
  /** Messages this VM has sent (its ids `A#n`), and the last number received from each peer on the logging channel. */
  private readonly _sentBy = new Map<NodeId, number>();
  private readonly _lastReceived = new Map<NodeId, number>();
  /** Logging-channel messages the learner dropped before they reached this worker: dropped as they arrive. */
  private readonly _dropOnArrival = new Set<string>();

  private _setClockPort(port: MessagePort | null, shared: SharedClockInit | null): void {
    if (this._clock) this._clock.onmessage = null;
    this._clock = port;
    this._announced = false;
    const realm = this._realm;
    if (!realm) return;
    realm.floor = Infinity; // until the (new) peer reports
    const cell = (this._shared = port && shared ? new SharedClock(shared) : null);
    realm.freshFloor = null;
    realm.waitFloor = null;
    realm.parkFloor = null;
    realm.progressEveryMs = cell ? SHARED_PROGRESS_EVERY_MS : MESSAGE_PROGRESS_EVERY_MS;
    if (!port) return;
    if (!cell) {
      port.onmessage = (e: MessageEvent<ClockPortMessage>) => {
        if (this._gonePeers.has(e.data.id)) return;
        realm.floor = e.data.safe;
        this._network?.heard(e.data.id, e.data.safe);
        realm.kick();
      };
      return;
    }
    // Shared memory: the logging channel's ring is read first, then the peer's safe time counts
    // (it was published after everything it had written there). A report by message only says
    // who the peer is and wakes this worker when it has gone back to its event loop.
    let peer: NodeId | null = null;
    const raise = (safe: number | null): void => {
      if (peer === null || safe === null || this._gonePeers.has(peer)) return;
      if (realm.floor === Infinity || safe > realm.floor) {
        realm.floor = safe;
        this._network?.heard(peer, safe);
      }
    };
    realm.freshFloor = () => {
      cell.unpark();
      raise(this._takeIn(realm, cell).safe);
    };
    const waiting = (): boolean => peer !== null && !this._gonePeers.has(peer);
    realm.waitFloor = (ms, need) => waiting() && cell.waitForPeer(ms, need);
    realm.parkFloor = (need) => !waiting() || cell.park(need); // (no peer yet: its first message kicks us)
    port.onmessage = (e: MessageEvent<ClockPortMessage>) => {
      if (this._gonePeers.has(e.data.id)) return;
      peer = e.data.id;
      const r = this._takeIn(realm, cell);
      if (r.complete) raise(Math.max(e.data.safe, r.safe ?? -Infinity));
      realm.kick();
    };
  }

  /** Take in what the peer put in the logging channel's ring, and the safe time that counts for it (sharedClock.ts). */
  private _takeIn(realm: Realm, cell: SharedClock): { readonly safe: number | null; readonly complete: boolean } {
    return cell.takeIn((env) => this._arrived(realm, env));
  }
  private _shared: SharedClock | null = null;
  /** The peer on the clock port has had a report from us (it learns our id from the first). */
  private _announced = false;

  init(init: VmInit, net: MessagePort, log: MessagePort | null, clock: MessagePort | null, shared: SharedClockInit | null = null): void {
    const realm = new Realm(init.clock);
    // A VM started later (a new backup) begins at the current virtual time, not at zero.
    realm.sched.runUntil(virtualAt(init.clock, wallNow()));
    this._realm = realm;
    this._net = net;
    const network = (this._network = new Network(realm.sched, new Rng(init.seed ^ 0x5bd1e995), { channel: init.channel }, (body) => realm.note(body)));
    realm.sched.dispatch = (kind, data) => network.dispatch(kind, data);
    net.onmessage = (e: MessageEvent<NetPortMessage>) => {
      const m = e.data;
      // (from the page, which applied its links' delay: it lands at its stamp, in order)
      if (m.kind === 'net/envelope') {
        const { msg, from } = m.env;
        realm.sched.at(m.env.stamp, () => this._hv?.receive(msg, from));
        realm.kick();
      } else if (m.kind === 'ack') {
        if (m.what === 'trace') this._traceBox.ack();
        else this._netInFlight = Math.max(0, this._netInFlight - 1);
        this._drain();
        if (!this._held()) realm.kick();
      } else if (m.kind === 'clock/gone') {
        const cell = this._shared;
        if (cell && m.id === this._hv?.peer) {
          // What it wrote in the ring before it died had left it (as what it posted on a port);
          // what we would still write for it goes nowhere (as on a port whose other end is gone).
          this._takeIn(realm, cell);
          cell.peerGone = true;
          this._flushOutbox();
        }
        this._gonePeers.add(m.id); // its last progress messages may still be on the way
        network.kill(m.id, m.at);
        this._post({ kind: 'log/gone', from: m.id, lastN: this._lastReceived.get(m.id) ?? 0 });
        realm.floor = Infinity;
        realm.kick();
      }
    };
    this._setLogPort(log);
    realm.onTrace = (events) => {
      this._traceBox.push(events);
      this._drain();
    };
    // A page that cannot keep up holds the VM back instead of queueing without bound.
    realm.hold = () => this._held();
    // The two VMs' realms tell each other how far they have got on a port of their own (not the
    // logging channel, which a fault may cut; not via the page's busy main thread), and neither
    // runs more than slackMs past the other: a worker starved of CPU for a moment must not look
    // dead to its peer. A backup runs no further than the primary's promise plus the channel's
    // latency (see _bound, checked every pump: a role or the channel may change), so log entries
    // reach it on virtual time, as in the simulator.
    this._slackMs = init.slackMs;
    this._setClockPort(clock, shared);
    let lastSafe = -Infinity;
    let lastReport = 0;
    let lastPost = -Infinity;
    const reportProgress = (safe: number, final: boolean): void => {
      this._flushOutbox(); // before our progress, so the peer has the entries it may now replay
      // In shared memory, a peer waiting for this (parked in its event loop) is owed a message.
      const wake = this._shared?.publish(safe) ?? false;
      const now = performance.now();
      if (!final && !wake && now - lastPost < MESSAGE_PROGRESS_EVERY_MS) return;
      lastPost = now;
      this._drain();
      if (!this._clock) return;
      // By message: without shared memory every report (not more often than
      // MESSAGE_PROGRESS_EVERY_MS mid-pump); with it, the first (it says who we are) and the
      // ones a parked peer is owed.
      const post = this._shared ? wake || !this._announced : safe > lastSafe + 0.05;
      if (post) {
        lastSafe = safe;
        this._announced = true;
        this._clock.postMessage({ kind: 'progress', id: init.id, safe } satisfies ClockPortMessage);
      }
    };
    // Mid-pump, every event before the scheduler's current time has run.
    realm.onProgress = () => reportProgress(realm.sched.now, false);
    realm.onPumped = () => {
      this._bound();
      const safe = realm.safeTime();
      reportProgress(safe, true);
      const now = performance.now();
      if (now - lastReport < 50) return;
      lastReport = now;
      this._post({ kind: 'realm/progress', id: init.id, now: safe, behindMs: realm.behindMs, framesDropped: this._portDropped });
    };
    const env = realm.env(init.id, init.seed, (to, msg) => this._send(to, msg));
    try {
      this._hv = new Hypervisor(env, init.config, init.role, init.peer, init.image);
    } catch (err) {
      this._post({ kind: 'vm/crashed', id: init.id, error: String(err) });
      return;
    }
    network.attach(init.id, this._hv);
    this._bound();
    realm.start();
  }

  private _setLogPort(port: MessagePort | null): void {
    if (this._log) this._log.onmessage = null;
    this._log = port;
    if (!port) return;
    port.onmessage = (e: MessageEvent<LogPortMessage>) => {
      const realm = this._realm;
      if (!realm) return;
      const cell = this._shared;
      if (e.data.portSeq !== undefined && cell) {
        // (it takes its place in the ring's order: taken in when the ring reaches its marker)
        cell.portArrived(e.data.portSeq, e.data.envs[0]!);
        this._takeIn(realm, cell);
      } else for (const env of e.data.envs) this._arrived(realm, env);
      realm.kick();
    };
  }

  /** A logging-channel message reached this worker: it lands after the channel's delay, unless cut or dropped. */
  private _arrived(realm: Realm, env: Envelope): void {
    const id = env.id!;
    const p = parseMessageId(id);
    if (!p.retransmit) this._lastReceived.set(env.from, Math.max(p.n, this._lastReceived.get(env.from) ?? 0));
    // From a VM the page has declared gone: the page closes what it sent after what we had (see log/gone).
    if (this._gonePeers.has(env.from)) return realm.note({ type: 'net/dropped', id, why: 'dead' });
    const network = this._network!;
    network.heard(env.from, env.stamp);
    network.arrive(env.from, env.to, env.msg, env.stamp, id);
    if (this._dropOnArrival.delete(id)) network.drop(id);
  }

  /**
   * The learner drops logging-channel message `id` on its way to this VM: in flight here, or still
   * between the workers (numbered past the last one received: dropped as it arrives). False when
   * it has already arrived.
   */
  dropMessage(id: string): boolean {
    const network = this._network;
    if (!network) return false;
    if (network.drop(id)) {
      this._realm?.kick();
      return true;
    }
    const p = parseMessageId(id);
    if (p.retransmit || this._gonePeers.has(p.from) || p.n <= (this._lastReceived.get(p.from) ?? 0)) return false;
    this._dropOnArrival.add(id);
    return true;
  }

  private _post(m: NetPortMessage): void {
    this._net?.postMessage(m);
  }

  private _held(): boolean {
    return this._traceBox.full || this._netQueue.length >= NET_HOLD_AT || this._ringRetry !== null;
  }

  /**
   * Post what may go now: a few batches unacknowledged at most, each bounded, and not more often
   * than every TRACE_EVERY_MS / NET_EVERY_MS unless a full batch waits (every message costs the page).
   */
  private _drain(): void {
    const now = performance.now();
    let wait = Infinity;
    if (now - this._lastTracePost >= TRACE_EVERY_MS || this._traceBox.queued >= this._traceBox.limits.maxBatch) {
      for (let b = this._traceBox.take(); b; b = this._traceBox.take()) {
        this._post({ kind: 'trace/batch', events: b, folded: this._traceBox.takeFolded() });
        this._lastTracePost = now;
      }
    } else wait = this._lastTracePost + TRACE_EVERY_MS - now;
    if (this._netQueue.length > 0) {
      if (now - this._lastNetPost >= NET_EVERY_MS || this._netQueue.length >= NET_BATCH) {
        while (this._netQueue.length > 0 && this._netInFlight < NET_IN_FLIGHT) {
          const envs = this._netQueue.length <= NET_BATCH ? this._netQueue.splice(0) : this._netQueue.splice(0, NET_BATCH);
          this._netInFlight++;
          this._lastNetPost = now;
          this._post({ kind: 'net/envelopes', envs });
        }
      } else wait = Math.min(wait, this._lastNetPost + NET_EVERY_MS - now);
    }
    if (wait < Infinity && this._drainTimer === null) {
      this._drainTimer = setTimeout(() => {
        this._drainTimer = null;
        this._drain();
      }, wait);
    }
  }
  private _lastTracePost = -Infinity;
  private _lastNetPost = -Infinity;
  private _drainTimer: ReturnType<typeof setTimeout> | null = null;

  private _send(to: NodeId, msg: Message): void {
    const hv = this._hv;
    const realm = this._realm;
    if (!hv || !realm) return;
    const env: Envelope = { from: hv.id, to, stamp: realm.sched.now, msg, id: nextMessageId(this._sentBy, hv.id) };
    if (to === hv.peer) {
      // The logging channel: straight to the peer's worker, everything one pump sends in one
      // message (each envelope keeps its own virtual stamp). Batches travel as transferred buffers.
      // The sender traces it (net/sent), the receiver its outcome.
      realm.note(sentEvent(env.id!, hv.id, to, msg, 'channel'));
      if (this._blockOut || !this._log) return realm.note({ type: 'net/dropped', id: env.id!, why: 'cut' });
      this._outbox.push(env);
      if (msg.t === 'log' && !this._shared) this._outboxTransfer.push(msg.batch.buffer as ArrayBuffer);
      // (in shared memory at once: the peer may be waiting for it mid-pump)
      if (this._shared || this._outbox.length >= 256) this._flushOutbox();
      else realm.kick(); // a send outside a pump is flushed by the next one
      return;
    }
    // To the switch, storage or a client: batched per pump (see _drain). The page traces it; a
    // frame beyond the port's rate is dropped here (counted), before it reaches the page.
    if (msg.t === 'frame' && !this._portTakes(to)) return;
    this._netQueue.push(env);
    if (this._netQueue.length >= NET_BATCH) this._drain();
    else realm.kick();
  }

  private readonly _port = new Map<NodeId, { tokens: number; at: number }>();
  private _portDropped = 0;

  /** Whether the port to the switch takes one more frame for `to` now (a token bucket, in wall time). */
  private _portTakes(to: NodeId): boolean {
    const now = performance.now();
    let b = this._port.get(to);
    if (!b) this._port.set(to, (b = { tokens: PORT_BURST, at: now }));
    b.tokens = Math.min(PORT_BURST, b.tokens + (now - b.at) * PORT_FRAMES_PER_MS);
    b.at = now;
    if (b.tokens < 1) {
      this._portDropped++;
      return false;
    }
    b.tokens--;
    return true;
  }

  private readonly _outbox: Envelope[] = [];
  private readonly _outboxTransfer: ArrayBuffer[] = [];

  private _flushOutbox(): void {
    if (this._outbox.length === 0) return;
    if (this._blockOut || !this._log) {
      const envs = this._outbox.splice(0);
      this._outboxTransfer.length = 0;
      for (const env of envs) this._realm?.note({ type: 'net/dropped', id: env.id!, why: 'cut' });
      return;
    }
    const cell = this._shared;
    if (!cell) {
      const envs = this._outbox.splice(0);
      const transfer = this._outboxTransfer.splice(0);
      this._log.postMessage({ kind: 'log/envelopes', envs } satisfies LogPortMessage, transfer);
      return;
    }
    // Shared memory: into the ring, in order; what it does not carry by the port, its place
    // marked. A full ring keeps the rest here (and holds the realm) until the peer has read.
    if (cell.peerGone) {
      this._outbox.length = 0;
      return;
    }
    let sent = 0;
    for (const env of this._outbox) {
      const r = cell.send(env);
      if (r.how === 'full') break;
      if (r.how === 'port') this._log.postMessage({ kind: 'log/envelopes', envs: [env], portSeq: r.portSeq } satisfies LogPortMessage);
      sent++;
    }
    this._outbox.splice(0, sent);
    if (this._outbox.length > 0 && this._ringRetry === null) {
      this._ringRetry = setTimeout(() => {
        this._ringRetry = null;
        this._flushOutbox();
        this._realm?.kick();
      }, 1);
    }
  }
  private _ringRetry: ReturnType<typeof setTimeout> | null = null;

  setClock(clock: ClockState): void {
    if (!this._realm) return;
    this._realm.clock = clock;
    this._realm.kick();
  }

  setChannel(link: LinkConfig): void {
    if (this._network) Object.assign(this._network.links.channel, link);
  }

  /**
   * How far past its peer's safe time this realm may run. A primary: half a failure timeout (a
   * worker starved of CPU for a moment must not look dead). A backup: only the logging channel's
   * latency, the earliest a log entry the primary has not sent yet could land. Were it to run
   * further, entries would land late in its virtual time, its lag would grow by the workers'
   * wall-clock delays times the speed, and the lag feedback would throttle the primary for it.
   */
  private _bound(): void {
    const realm = this._realm;
    if (!realm) return;
    realm.slackMs = this._hv?.role === 'backup' ? Math.max(0.001, this._network?.links.channel.latencyMs ?? 0) : this._slackMs;
  }
  private _slackMs = Infinity;

  /** Cut (or heal) the logging channel as seen from this VM. */
  setChannelBlocked(out: boolean, inbound: boolean): void {
    this._blockOut = out;
    this._blockIn = inbound;
    this._blockInbound();
  }

  /** An inbound cut drops what arrives from any peer, and what is still on its way (as in the simulator). */
  private _blockInbound(): void {
    const network = this._network;
    const hv = this._hv;
    if (!network || !hv) return;
    network.healAll();
    if (!this._blockIn) return;
    for (const from of new Set([...this._lastReceived.keys(), ...(hv.peer ? [hv.peer] : [])])) network.block(from, hv.id, false);
  }

  powerOff(): void {
    this._hv?.powerOff();
    this._realm?.kick();
  }

  pause(): void {
    this._hv?.pause();
  }

  /** Slow backup: this VM runs at `speed` × its usual rate. */
  setSpeedFactor(speed: number): void {
    if (this._hv) this._hv.speedFactor = speed;
  }

  resume(): void {
    this._hv?.resume();
    this._realm?.kick();
  }

  /** FT VMotion: start logging to a new backup over a new logging channel. */
  startBackup(newBackup: NodeId, log: MessagePort, clock: MessagePort, shared: SharedClockInit | null = null): void {
    this._setLogPort(log);
    this._setClockPort(clock, shared);
    this._blockIn = this._blockOut = false;
    this._blockInbound();
    this._hv?.startBackup(newBackup);
    this._realm?.kick();
  }

  /** Test hook: an uncaught exception in this worker, to show the page survives a crashed VM. */
  debugCrash(message: string): void {
    setTimeout(() => {
      throw new Error(message);
    }, 0);
  }

  inspect(memAddr = 0, memLen = 64): VmInspect | null {
    const hv = this._hv;
    const realm = this._realm;
    if (!hv || !realm) return null;
    return inspectVm(hv, { virtualMs: realm.sched.now, behindMs: realm.behindMs }, memAddr, memLen);
  }

}
