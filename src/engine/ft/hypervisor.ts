// The FT hypervisor: hosts one machine and plays a role (FT paper §2, §3).
//  - primary: logs every door of its machine, flushes entries on the logging channel, holds each
//    output until the backup has acknowledged its entry (the Output Rule, §2.2).
//  - backup: buffers entries, acks on receipt, replays each event at exactly its icount, takes
//    logged values, drops its outputs, never runs past the newest icount it has been told of.
//  - live: a primary with no backup (after a failover): its doors are served directly.
//  - halted / dead: stopped (lost test-and-set, powered off; or killed, fail-stop).
// Failure detection: heartbeats and log traffic, with a timeout; go-live needs test-and-set on
// shared storage first (§2.3). All time is the NodeEnv's virtual time.

import { Machine, type DiskRequest, type MachineHost, type MachineInput } from '../machine/machine';
import { PORT } from '../machine/isa';
import { decodeBatch, digestBytes, encodeBatch, isBoundaryEntry, type LogEntry, type OutputKind } from './log';
import { STORAGE, SWITCH, clientNode, type Message, type NodeEnv, type NodeId, type Timer } from './messages';
import type { Role, StallReason, TraceBody } from './trace';

export type NondetSource = 'timer' | 'clock' | 'random' | 'packet-timing';

export interface FtConfig {
  /** Guest instructions per virtual ms. */
  readonly instructionsPerMs: number;
  /** Virtual ms of guest execution per scheduling slice. */
  readonly sliceMs: number;
  /** Entries the primary's log buffer holds (unsent); full = the primary stalls. */
  readonly primaryLogCapacity: number;
  /** Entries the backup's log buffer holds (received, not yet replayed). */
  readonly backupLogCapacity: number;
  readonly heartbeatMs: number;
  /** Silence on the logging channel for this long = the peer is suspected failed. */
  readonly failureTimeoutMs: number;
  /** The primary logs its state hash this often (virtual ms); 0 = never. */
  readonly hashEveryMs: number;
  /** Lag above this slows the primary (the paper's slow feedback loop, §3.2). */
  readonly lagLimitMs: number;
  /** The backup's speed relative to the primary (1 = same host). */
  readonly backupSpeed: number;
  // Teaching switches (all safe by default).
  readonly outputRule: boolean;
  readonly testAndSet: boolean;
  readonly unlogged: readonly NondetSource[];
}

export const DEFAULT_FT_CONFIG: FtConfig = {
  instructionsPerMs: 2000,
  sliceMs: 0.5,
  primaryLogCapacity: 512,
  backupLogCapacity: 512,
  heartbeatMs: 10,
  failureTimeoutMs: 60,
  hashEveryMs: 10,
  lagLimitMs: 20,
  backupSpeed: 1,
  outputRule: true,
  testAndSet: true,
  unlogged: [],
};

interface HeldOutput {
  readonly seq: number;
  readonly kind: OutputKind;
  readonly to: NodeId;
  readonly msg: Message;
  readonly heldAt: number;
}

type PendingInput = MachineInput & { readonly tag?: number };

const CLOCK_BASE = 1_700_000_000;

export class Hypervisor implements MachineHost {
  readonly machine: Machine;
  role: Role;
  /** The other VM of the pair (backup for a primary, primary for a backup), if any. */
  peer: NodeId | null;
  paused = false;
  /** This VM's host speed relative to the configuration (a fault can slow a backup down). */
  speedFactor = 1;
  stall: StallReason | null = null;
  haltReason = '';

  // primary
  private _nextSeq = 1;
  private readonly _logBuffer: LogEntry[] = []; // appended, not yet sent
  private readonly _inFlight: LogEntry[] = []; // sent, not yet acknowledged (kept to retransmit)
  private _lastAckProgressAt = 0;
  private _sentSeq = 0;
  private _ackedSeq = 0;
  private _peerConsumedSeq = 0;
  private _peerIcount = 0;
  private readonly _held: HeldOutput[] = [];
  private _cpu = 1; // throttle factor, the lag feedback loop
  private _nextHashAt = 0;
  private _lastSendAt = -Infinity;
  // backup
  private readonly _buffer: LogEntry[] = []; // received, not yet replayed
  private _receivedSeq = 0;
  private _consumedSeq = 0;
  private _horizon = 0;
  private _reportedConsumed = 0;
  private _diverged = false;
  private _ownTimerNext = Infinity; // backup's own timer when 'timer' is unlogged
  private _powerOff = false; // replayed the power-off control entry
  private _powerOffReceived = false; // has the power-off control entry in its buffer
  /** A backup started by FT VMotion has no state until the live VM's snapshot arrives. */
  private _synced: boolean;
  /** Primary: the power-off control entry it waits to see acknowledged before halting. */
  private _poweringOff: { seq: number; at: number } | null = null;
  // both
  private readonly _inputs: PendingInput[] = []; // arrived, waiting for an instruction boundary
  private _timerPeriod = 0;
  private _timer: Timer | null = null;
  private _tick: Timer | null = null;
  private _hb: Timer | null = null;
  private _lastHeard: number;
  private _suspecting = false;
  private _tasTag = 0;
  private _tasRetry: Timer | null = null;
  private _draining = false;
  private _ioTag = 0;
  /** The disk request this VM issued and awaits; `msg` and `sentAt` once it is on its way. */
  private _pendingIo: { tag: number; req: DiskRequest; msg?: Message; sentAt?: number } | null = null;
  private _console = '';
  /** The test-and-set generation of the pair this VM belongs to (see storage.ts). */
  private _gen = 0;
  /**
   * This host's wall clock is its own (two physical hosts never agree to the millisecond): the
   * guest's clock is CLOCK_BASE + now + this offset, until a go-live continues the guest's clock
   * from the last value it read.
   */
  private _clockOffsetMs: number;
  /** The last clock value this VM's guest read (logged or its own), for continuity. */
  private _lastClock: number | null = null;
  private _lastTracedClock: number | null = null;
  private _advertisedAt = 0;
  /** When the peer last actually sent something (a resume restarts the detector, not this). */
  private _lastMessageAt = -Infinity;
  /** Statistics. */
  readonly stats = { entries: 0, logBytes: 0, outputs: 0, outputDelayMsTotal: 0, outputDelayMsMax: 0, stalledMs: 0 };

  constructor(
    readonly env: NodeEnv,
    readonly config: FtConfig,
    role: 'primary' | 'backup' | 'live',
    peer: NodeId | null,
    image: Uint8Array | null,
  ) {
    this.machine = new Machine(this);
    if (image) this.machine.load(image);
    this.role = role;
    this.peer = peer;
    // A backup given no image is a new one, to be filled by FT VMotion (startBackup).
    this._synced = role !== 'backup' || image !== null;
    this._lastHeard = env.now();
    this._clockOffsetMs = env.rng.int(0, 999);
    this.env.trace({ type: 'vm/role', vm: env.id, role, reason: 'started' });
    this._scheduleTick(0);
    this._scheduleHeartbeat();
  }

  get id(): NodeId {
    return this.env.id;
  }

  get alive(): boolean {
    return this.role !== 'dead' && this.role !== 'halted';
  }

  /** Views for the UI and tests. */
  get logBufferLength(): number {
    return this.role === 'backup' ? this._buffer.length : this._logBuffer.length;
  }
  /** The first `limit` entries of this VM's log buffer (for the UI). */
  bufferedEntries(limit: number): readonly LogEntry[] {
    return (this.role === 'backup' ? this._buffer : this._logBuffer).slice(0, limit);
  }
  /** Entries sent and not yet acknowledged (in flight on the logging channel, as far as we know). */
  get inFlightCount(): number {
    return this._inFlight.length;
  }
  get heldOutputs(): readonly { seq: number; kind: OutputKind; heldAt: number }[] {
    return this._held;
  }
  get ackedSeq(): number {
    return this._ackedSeq;
  }
  get receivedSeq(): number {
    return this._receivedSeq;
  }
  get consumedSeq(): number {
    return this._consumedSeq;
  }
  get horizon(): number {
    return this._horizon;
  }
  get lagMs(): number {
    return Math.max(0, this.machine.icount - this._peerIcount) / this.config.instructionsPerMs;
  }
  get cpuFactor(): number {
    return this._cpu;
  }
  get nextSeq(): number {
    return this._nextSeq;
  }
  get diverged(): boolean {
    return this._diverged;
  }
  get generation(): number {
    return this._gen;
  }
  /** A new backup still waiting for the live VM's snapshot. */
  get awaitingSnapshot(): boolean {
    return !this._synced;
  }
  get poweringOff(): boolean {
    return this._poweringOff !== null;
  }

  private _unlogged(s: NondetSource): boolean {
    return this.config.unlogged.includes(s);
  }

  // ------------------------------------------------------------ lifecycle and faults

  /** Fail-stop: the VM stops at once, mid-anything. */
  kill(): void {
    if (this.role === 'dead') return;
    this._setRole('dead', 'killed');
    this._stopTimers();
  }

  /**
   * Explicit power-off (FT paper §2.3, control entries): a primary stops its guest, sends a
   * power-off control entry on the logging channel, and at the same time takes test-and-set. It
   * halts once the backup has acknowledged the entry (the backup halts when it replays it) or
   * test-and-set has answered (won: a backup that never got the entry loses test-and-set and
   * halts; lost: the backup had already taken over). A live VM simply halts.
   */
  powerOff(): void {
    if (!this.alive || this._poweringOff) return;
    this.paused = false; // power-off overrides a pause
    if (this.role === 'primary' && this.peer) {
      const seq = this._nextSeq++;
      this._append({ seq, icount: this.machine.icount, kind: 'control', control: 'power-off' });
      this._poweringOff = { seq, at: this.env.now() };
      this.env.trace({ type: 'power-off/requested', vm: this.id, seq });
      this._setStall(null);
      this._flush(true);
      // At once, take test-and-set too: a backup that cannot get the entry (a cut channel) then
      // loses test-and-set when it suspects this VM, and halts instead of going live.
      if (!this._suspecting) {
        this._suspecting = true;
        this._requestTas();
      }
      return;
    }
    this._halt('powered off');
  }

  private _halt(reason: string): void {
    this.haltReason = reason;
    this._setRole('halted', reason);
    this._stopTimers();
  }

  /** Powering off: the backup has the control entry, or test-and-set settled who stays down. */
  private _finishPowerOff(how: string): void {
    this._poweringOff = null;
    this._releaseOutputs(); // only those the backup acknowledged
    this._halt(`powered off (${how})`);
  }

  pause(): void {
    if (!this.alive || this.paused) return;
    this.paused = true;
    this._setStall('paused');
  }

  resume(): void {
    if (!this.paused || !this.alive) return;
    this.paused = false;
    this._setStall(null);
    // Silence while paused is no evidence (the NIC dropped what came): listen afresh before suspecting.
    this._lastHeard = this.env.now();
    this._scheduleTick(0);
  }

  private _stopTimers(): void {
    for (const t of [this._tick, this._hb, this._timer, this._tasRetry]) t?.cancel();
    this._tick = this._hb = this._timer = this._tasRetry = null;
  }

  private _setRole(role: Role, reason: string): void {
    this.role = role;
    this.env.trace({ type: 'vm/role', vm: this.id, role, reason });
  }

  private _setStall(reason: StallReason | null): void {
    if (this.stall === reason) return;
    this.stall = reason;
    this.env.trace({ type: 'vm/stall', vm: this.id, reason });
  }

  // ------------------------------------------------------------ messages

  receive(msg: Message, from: NodeId): void {
    if (!this.alive || this.paused) return; // a paused VM's NIC drops what arrives
    switch (msg.t) {
      case 'log':
        if (from === this.peer) this._lastHeard = this._lastMessageAt = this.env.now();
        if (this.role === 'backup' && from === this.peer && !this._draining && this._synced) this._onLog(msg);
        break;
      case 'ack':
        if (from === this.peer) this._lastHeard = this._lastMessageAt = this.env.now();
        if (this.role === 'primary' && from === this.peer) this._onAck(msg);
        break;
      case 'snapshot':
        if (this.role === 'backup' && !this._synced && from === this.peer) this._onSnapshot(msg, from);
        break;
      case 'frame':
        if (this.role === 'primary' || this.role === 'live') this._queueInput({ kind: 'packet', frame: msg.frame });
        break;
      case 'disk-done': {
        // The first completion counts; a second one (for a retried request) is dropped.
        const queued = this._inputs.some((i) => i.kind === 'disk' && i.tag === msg.tag);
        if (this._pendingIo && this._pendingIo.tag === msg.tag && this.role !== 'backup' && !queued) {
          this._queueInput(msg.data ? { kind: 'disk', ok: msg.ok, data: msg.data, tag: msg.tag } : { kind: 'disk', ok: msg.ok, tag: msg.tag });
        }
        break;
      }
      case 'tas-result':
        if (msg.tag === this._tasTag) this._onTasResult(msg.won, msg.holder, msg.gen);
        break;
      default:
        break;
    }
  }

  private _queueInput(input: PendingInput): void {
    this._inputs.push(input);
    this._scheduleTick(0);
  }

  // ------------------------------------------------------------ execution

  private _scheduleTick(delay: number): void {
    if (!this.alive) return;
    const at = this.env.now() + delay;
    if (this._tick) {
      if (this._tickAt <= at) return; // an earlier slice is already due
      this._tick.cancel();
    }
    this._tickAt = at;
    this._tick = this.env.after(delay, () => this.onTimer('tick'), 'tick');
  }
  private _tickAt = Infinity;

  /** A timer of this VM fired (the simulator schedules timers as data: see NodeEnv.after). */
  onTimer(key: string): void {
    switch (key) {
      case 'tick':
        this._tick = null;
        this._runSlice();
        return;
      case 'hb':
        this._onHeartbeatTimer();
        return;
      case 'tas':
        this._tasRetry = null;
        if (this._suspecting && this.alive && !this._draining && this.role !== 'live') this._requestTas();
        return;
      case 'timer':
        this._onGuestTimer();
        return;
      default:
        throw new Error(`unknown hypervisor timer ${key}`);
    }
  }

  private _scheduleHeartbeat(): void {
    this._hb = this.env.after(this.config.heartbeatMs, () => this.onTimer('hb'), 'hb');
  }

  private _onHeartbeatTimer(): void {
      this._hb = null;
      if (!this.alive) return;
      if (!this.paused) {
        this._checkPeer();
        if (this.role === 'primary' && this.env.now() - this._lastSendAt >= this.config.heartbeatMs * 0.999) {
          this._flush(true);
        } else if (this.role === 'backup' && !this._draining && this._synced) {
          // A new backup still waiting for its snapshot stays silent: it has nothing to acknowledge,
          // and its primary must be able to see that it never got in sync.
          this._sendAck(true);
        }
        if (this.role === 'primary') {
          this._adjustThrottle();
          this._retransmit();
        }
        if (this.role === 'primary' || this.role === 'live') this._retryIo();
        // A VM that won test-and-set keeps telling the switch where the service MAC is (as a
        // host's gratuitous ARPs do), so an advertisement lost to a partition is not lost for
        // good: while live, and while primary of a pair whose backup it still hears.
        const serving = this.role === 'live' || (this.role === 'primary' && this._gen > 0 && this.env.now() - this._lastMessageAt < this.config.failureTimeoutMs);
        if (serving && this.env.now() - this._advertisedAt >= 10 * this.config.heartbeatMs) {
          this._advertisedAt = this.env.now();
          this.env.send(SWITCH, { t: 'advertise' });
        }
      }
      if (this.alive) this._scheduleHeartbeat();
  }

  private _runSlice(): void {
    if (!this.alive || this.paused) return;
    const m = this.machine;
    if (m.stopped) {
      this._reportFault();
      return;
    }
    if (this._poweringOff) {
      this._flush(false); // the guest is stopped; only the control entry still has to go out
    } else if (this.role === 'backup') {
      this._replaySlice();
    } else {
      this._primarySlice();
    }
    if (m.fault) this._reportFault();
  }

  private get _logFull(): boolean {
    return this.role === 'primary' && this._logBuffer.length >= this.config.primaryLogCapacity;
  }

  /** Primary and live: deliver due inputs at this boundary (logging them), then run. */
  private _primarySlice(): void {
    const m = this.machine;
    const logging = this.role === 'primary';
    // A full log buffer stops the primary (FT paper §3.2): it runs nothing and appends nothing.
    if (this._logFull) {
      this._setStall('log-full');
      this._scheduleTick(this.config.sliceMs);
      return;
    }
    if (this.stall === 'log-full') this._setStall(null);
    if (logging && this.config.hashEveryMs > 0 && this.env.now() >= this._nextHashAt) {
      this._nextHashAt = this.env.now() + this.config.hashEveryMs;
      this._append({ seq: this._nextSeq++, icount: m.icount, kind: 'hash', hash: m.stateHash() });
    }
    this._deliverInputs();
    const budget = Math.max(1, Math.round(this.config.sliceMs * this.config.instructionsPerMs * (logging ? this._cpu : 1)));
    let exit: string = 'budget';
    if (!this._logFull) exit = m.run(m.icount + budget);
    if (logging) this._flush(false);
    // Keep slicing while there is work; an idle machine waits for an input or its timer.
    if (exit === 'budget' || this._logFull) this._scheduleTick(this.config.sliceMs);
    else if (this._inputs.some((i) => m.canAccept(i.kind))) this._scheduleTick(0);
  }

  private _deliverInputs(): void {
    const m = this.machine;
    for (let i = 0; i < this._inputs.length && !this._logFull; ) {
      const input = this._inputs[i]!;
      if (!m.canAccept(input.kind)) {
        i++;
        continue;
      }
      this._inputs.splice(i, 1);
      const io = input.kind === 'disk' ? this._pendingIo : null;
      if (input.kind === 'disk') this._pendingIo = null;
      this._inject(input);
      if (io && input.kind === 'disk') {
        const r = io.req;
        this.env.trace({ type: 'io/completed', vm: this.id, op: r.op, block: r.block, ok: input.ok, digest: r.data ? digestBytes(r.data) : null });
      }
    }
  }

  /** Inject an input at the current boundary; a primary logs it first. */
  private _inject(input: MachineInput): void {
    const m = this.machine;
    if (this.role === 'primary') {
      const unloggedTimer = input.kind === 'timer' && this._unlogged('timer');
      if (!unloggedTimer) {
        const seq = this._nextSeq++;
        const icount = m.icount;
        if (input.kind === 'packet') this._append({ seq, icount, kind: 'packet', frame: input.frame });
        else if (input.kind === 'timer') this._append({ seq, icount, kind: 'timer' });
        else this._append({ seq, icount, kind: 'disk', ok: input.ok, data: input.data ?? null });
      }
    }
    m.inject(input);
    this.env.trace({ type: 'input/delivered', vm: this.id, kind: input.kind, icount: m.icount });
  }

  private _append(e: LogEntry): void {
    this._logBuffer.push(e);
    // The entry that fills the buffer stops the guest right after this instruction.
    if (this._logBuffer.length >= this.config.primaryLogCapacity) this.machine.yieldAfterDoor();
    this.stats.entries++;
    this.env.trace({ type: 'entry/appended', vm: this.id, seq: e.seq, icount: e.icount, kind: e.kind });
  }

  /** Send buffered entries within the backup's free space; `heartbeat` sends even if empty. */
  private _flush(heartbeat: boolean): void {
    if (this.role !== 'primary' || !this.peer) return;
    const credit = this.config.backupLogCapacity - (this._sentSeq - this._peerConsumedSeq);
    const n = Math.max(0, Math.min(credit, this._logBuffer.length));
    if (n === 0 && !heartbeat) return;
    const entries = this._logBuffer.splice(0, n);
    // Horizon: the backup may run to our icount only if nothing unsent precedes it.
    const horizon = this._logBuffer.length === 0 ? this.machine.icount : entries.length > 0 ? entries[entries.length - 1]!.icount : this._horizonSent;
    this._horizonSent = horizon;
    if (entries.length > 0) this._sentSeq = entries[entries.length - 1]!.seq;
    this._inFlight.push(...entries);
    const batch = encodeBatch({ entries, horizon, lastSeq: this._sentSeq });
    const bytes = batch.length; // read before sending: a worker runtime transfers the buffer
    this.stats.logBytes += bytes;
    this._lastSendAt = this.env.now();
    this.env.send(this.peer, { t: 'log', batch, heartbeat: entries.length === 0 });
    if (entries.length > 0) {
      this.env.trace({ type: 'entry/flushed', vm: this.id, fromSeq: entries[0]!.seq, toSeq: this._sentSeq, bytes, horizon });
    } else {
      this.env.trace({ type: 'heartbeat', vm: this.id, to: this.peer });
    }
  }
  private _horizonSent = 0;

  /** The channel lost entries (it was cut and healed): send every unacknowledged one again. */
  private _retransmit(): void {
    if (this.role !== 'primary' || !this.peer || this._inFlight.length === 0) return;
    if (this.env.now() - this._lastAckProgressAt < 3 * this.config.heartbeatMs) return;
    this._lastAckProgressAt = this.env.now();
    const batch = encodeBatch({ entries: this._inFlight, horizon: this._horizonSent, lastSeq: this._sentSeq });
    const bytes = batch.length;
    this.stats.logBytes += bytes;
    this._lastSendAt = this.env.now();
    this.env.send(this.peer, { t: 'log', batch, heartbeat: false });
    this.env.trace({ type: 'entry/flushed', vm: this.id, fromSeq: this._inFlight[0]!.seq, toSeq: this._sentSeq, bytes, horizon: this._horizonSent });
  }

  private _onAck(msg: Extract<Message, { t: 'ack' }>): void {
    this._peerConsumedSeq = Math.max(this._peerConsumedSeq, msg.consumedSeq);
    this._peerIcount = Math.max(this._peerIcount, msg.icount);
    if (msg.ackedSeq > this._ackedSeq) {
      this._ackedSeq = msg.ackedSeq;
      this._lastAckProgressAt = this.env.now();
      while (this._inFlight.length > 0 && this._inFlight[0]!.seq <= msg.ackedSeq) this._inFlight.shift();
      this.env.trace({ type: 'entry/acked', vm: this.id, ackedSeq: msg.ackedSeq, backupIcount: msg.icount, lagMs: this.lagMs });
      this._releaseOutputs();
      if (this._poweringOff && msg.ackedSeq >= this._poweringOff.seq) {
        this._finishPowerOff('the backup acknowledged the power-off entry');
        return;
      }
    }
    // Freed backup space may let us send more, and un-stall.
    if (this._logBuffer.length > 0) this._flush(false);
    if (this.stall === 'log-full') this._scheduleTick(0);
  }

  /** Release every held output whose entry the backup has acknowledged (Output Rule). */
  private _releaseOutputs(all = false): void {
    while (this._held.length > 0 && (all || this._held[0]!.seq <= this._ackedSeq)) {
      const h = this._held.shift()!;
      this._emit(h);
    }
  }

  private _emit(h: HeldOutput): void {
    const delayMs = this.env.now() - h.heldAt;
    this.stats.outputs++;
    this.stats.outputDelayMsTotal += delayMs;
    this.stats.outputDelayMsMax = Math.max(this.stats.outputDelayMsMax, delayMs);
    this.env.trace({ type: 'output/released', vm: this.id, seq: h.seq, output: h.kind, to: h.to, role: this.role, delayMs, ackedSeq: this._ackedSeq });
    this.env.send(h.to, h.msg);
    if (this._pendingIo && this._pendingIo.msg === h.msg) this._pendingIo.sentAt = this.env.now();
  }

  /**
   * Storage did not answer a disk request it was sent (a partition dropped it): send it again,
   * as a storage stack retries. Disk I/O is idempotent (FT paper §3.4), and the link is FIFO, so
   * the copy cannot overtake a later request.
   */
  private _retryIo(): void {
    const io = this._pendingIo;
    if (!io || io.sentAt === undefined || !io.msg || io.msg.t !== 'disk') return;
    if (this.env.now() - io.sentAt < this.config.failureTimeoutMs) return;
    io.sentAt = this.env.now();
    io.msg = { ...io.msg, gen: this._gen };
    this.env.send(STORAGE, io.msg);
  }

  /** The primary's failure-detector feedback: slow the primary while the backup lags (§3.2). */
  private _adjustThrottle(): void {
    const lag = this.lagMs;
    const before = this._cpu;
    if (lag > this.config.lagLimitMs) this._cpu = Math.max(0.1, this._cpu - 0.05);
    else if (lag < this.config.lagLimitMs / 2) this._cpu = Math.min(1, this._cpu + 0.05);
    if (this._cpu !== before) this.env.trace({ type: 'vm/throttle', vm: this.id, cpu: this._cpu, lagMs: lag });
  }

  // ------------------------------------------------------------ backup: receive and replay

  private _onLog(msg: Extract<Message, { t: 'log' }>): void {
    let batch;
    try {
      batch = decodeBatch(msg.batch);
    } catch (err) {
      this._divergence(`undecodable log batch: ${String(err)}`);
      return;
    }
    const fresh = batch.entries.filter((e) => e.seq > this._receivedSeq);
    if (fresh.length > 0 && fresh[0]!.seq !== this._receivedSeq + 1) {
      // A gap: entries were lost on the channel. Drop this batch and re-ack; the primary resends.
      this._sendAck(false);
      return;
    }
    if (fresh.length > 0) {
      this._buffer.push(...fresh);
      if (fresh.some((e) => e.kind === 'control' && e.control === 'power-off')) this._powerOffReceived = true;
      this._receivedSeq = fresh[fresh.length - 1]!.seq;
      this.env.trace({ type: 'entry/received', vm: this.id, fromSeq: fresh[0]!.seq, toSeq: this._receivedSeq, buffered: this._buffer.length });
    }
    if (this._receivedSeq >= batch.lastSeq) this._horizon = Math.max(this._horizon, batch.horizon);
    // Ack on receipt, not on replay (FT paper §2.2): only the buffering has to happen first.
    this._sendAck(msg.heartbeat && fresh.length === 0);
    this._scheduleTick(0);
  }

  private _sendAck(heartbeat: boolean): void {
    if (!this.peer) return;
    this._reportedConsumed = this._consumedSeq;
    this.env.send(this.peer, { t: 'ack', ackedSeq: this._receivedSeq, consumedSeq: this._consumedSeq, icount: this.machine.icount, heartbeat });
    if (heartbeat) this.env.trace({ type: 'heartbeat', vm: this.id, to: this.peer });
  }

  private _consume(e: LogEntry): void {
    this._buffer.shift();
    this._consumedSeq = e.seq;
    this.env.trace({ type: 'entry/replayed', vm: this.id, seq: e.seq, kind: e.kind, icount: e.icount, atIcount: this.machine.icount });
  }

  private _divergence(detail: string): void {
    if (!this._diverged) this.env.trace({ type: 'divergence', vm: this.id, icount: this.machine.icount, detail });
    this._diverged = true;
  }

  /** Apply boundary entries due at the current icount. Returns false if replay cannot go on. */
  private _applyDueEntries(): void {
    const m = this.machine;
    for (;;) {
      const e = this._buffer[0];
      if (!e) return;
      if (!isBoundaryEntry(e)) {
        // A value or output the backup should have consumed by now: it ran past it (diverged).
        if (e.icount >= m.icount) return;
        this._divergence(`passed entry #${e.seq} (${e.kind} at icount ${e.icount}) at icount ${m.icount}`);
        this._consume(e);
        continue;
      }
      const packetAnyTime = e.kind === 'packet' && this._unlogged('packet-timing');
      if (packetAnyTime) {
        if (!m.canAccept('packet')) return;
      } else if (e.icount > m.icount) {
        return;
      } else if (e.icount < m.icount) {
        this._divergence(`passed entry #${e.seq} (${e.kind} at icount ${e.icount}) at icount ${m.icount}`);
      }
      this._consume(e);
      switch (e.kind) {
        case 'packet':
          if (!m.inject({ kind: 'packet', frame: e.frame })) this._divergence(`entry #${e.seq}: receive buffer not armed`);
          break;
        case 'timer':
          m.inject({ kind: 'timer' });
          break;
        case 'disk':
          this._pendingIo = null;
          if (!m.inject(e.data ? { kind: 'disk', ok: e.ok, data: e.data } : { kind: 'disk', ok: e.ok })) {
            this._divergence(`entry #${e.seq}: no disk request in flight`);
          }
          break;
        case 'hash': {
          const mine = m.stateHash();
          if (mine !== e.hash) this._divergence(`state hash at icount ${e.icount}: primary ${e.hash}, backup ${mine}`);
          break;
        }
        case 'control':
          this._powerOff = true;
          break;
        default:
          break;
      }
      if (this._powerOff) return;
    }
  }

  private _replaySlice(): void {
    const m = this.machine;
    if (this._powerOff) {
      this._halt('the primary was powered off: the backup does not go live');
      return;
    }
    // The backup's own timer, when timer interrupts are (wrongly) not logged.
    if (this._unlogged('timer') && this.env.now() >= this._ownTimerNext) {
      m.inject({ kind: 'timer' });
      this._ownTimerNext = this._timerPeriod > 0 ? this.env.now() + this._timerPeriod : Infinity;
    }
    const icountBefore = m.icount;
    const consumedBefore = this._consumedSeq;
    this._applyDueEntries();
    if (this._powerOff) {
      this._scheduleTick(0);
      return;
    }
    const front = this._buffer.find((e) => isBoundaryEntry(e) && !(e.kind === 'packet' && this._unlogged('packet-timing')));
    // Never run past the next boundary entry, nor past what the primary has told us. A backup
    // that won test-and-set drains: it replays every entry it acknowledged, horizon or not.
    const limit = front ? front.icount : this._draining && this._buffer.length > 0 ? Infinity : this._horizon;
    const budget = Math.max(1, Math.round(this.config.sliceMs * this.config.instructionsPerMs * this.config.backupSpeed * this.speedFactor));
    const target = Math.min(limit, m.icount + budget);
    let exit = 'budget';
    if (target > m.icount) exit = m.run(target);
    this._applyDueEntries();
    // Reached the power-off control entry in this slice: halt now, not at the failure timeout.
    if (this._powerOff) {
      this._scheduleTick(0);
      return;
    }
    // Tell the primary about freed buffer space (its credit) now and then.
    if (!this._draining && this._consumedSeq - this._reportedConsumed >= this.config.backupLogCapacity / 4) this._sendAck(false);
    const next = this._buffer[0];
    if (exit === 'idle' && next && isBoundaryEntry(next) && next.icount > m.icount && next.kind !== 'hash') {
      this._divergence(`backup idles at icount ${m.icount} but the primary logged ${next.kind} at ${next.icount}`);
    }
    if (this._draining) {
      const noProgress = target <= icountBefore && this._consumedSeq === consumedBefore;
      const stuck = m.stopped || noProgress || (exit === 'idle' && !(next && isBoundaryEntry(next) && next.icount === m.icount));
      if (this._buffer.length === 0 || stuck) this._goLive();
      else this._scheduleTick(this.config.sliceMs);
      return;
    }
    const newLimit = this._buffer.find((e) => isBoundaryEntry(e))?.icount ?? this._horizon;
    const canRun = (exit === 'budget' && m.icount < newLimit) || (next !== undefined && isBoundaryEntry(next) && next.icount === m.icount);
    this._setStall(!canRun && exit !== 'idle' ? 'log-empty' : null);
    if (canRun) this._scheduleTick(this.config.sliceMs);
    else if (this._unlogged('timer') && this._ownTimerNext < Infinity) {
      this._scheduleTick(Math.max(this.config.sliceMs, this._ownTimerNext - this.env.now()));
    }
  }

  // ------------------------------------------------------------ failure detection, test-and-set, go-live

  private _checkPeer(): void {
    if (!this.peer || this._suspecting || (this.role !== 'primary' && this.role !== 'backup')) return;
    const silent = this.env.now() - this._lastHeard;
    if (silent < this.config.failureTimeoutMs) return;
    this.env.trace({ type: 'failure/suspected', vm: this.id, peer: this.peer, silentMs: silent });
    if (this.role === 'backup' && !this._synced) {
      // The primary went silent before FT VMotion finished: this VM has no state to go live with.
      this._halt(`${this.peer} went silent before its snapshot arrived: a backup with no state cannot go live`);
      return;
    }
    if (this.role === 'backup' && this._powerOffReceived) {
      this._halt('the primary was powered off: the backup does not go live');
      return;
    }
    this._suspecting = true;
    this._requestTas();
  }

  private _requestTas(): void {
    if (!this.alive) return;
    if (!this.config.testAndSet) {
      this._onTasResult(true, this.id); // teaching switch: nobody arbitrates
      return;
    }
    this._tasTag++;
    this.env.trace({ type: 'tas/requested', vm: this.id });
    this.env.send(STORAGE, { t: 'tas', tag: this._tasTag, gen: this._gen });
    if (this.role === 'backup') this._setStall('waiting-tas');
    // Storage unreachable: keep asking (the VM waits; FT paper §2.3).
    this._tasRetry = this.env.after(this.config.failureTimeoutMs, () => this.onTimer('tas'), 'tas');
  }

  private _onTasResult(won: boolean, holder: NodeId | null, gen = this._gen): void {
    if (!this._suspecting || !this.alive) return;
    this._tasRetry?.cancel();
    this._tasRetry = null;
    const wonEvent: TraceBody = this.config.testAndSet ? { type: 'tas/won', vm: this.id } : { type: 'tas/won', vm: this.id, unarbitrated: true };
    if (this._poweringOff) {
      if (won) this._gen = gen;
      this.env.trace(won ? wonEvent : { type: 'tas/lost', vm: this.id, holder });
      this._finishPowerOff(won ? 'won test-and-set: the backup cannot go live' : `${holder ?? 'another VM'} had already won test-and-set`);
      return;
    }
    if (won) this._gen = gen;
    if (!won) {
      this.env.trace({ type: 'tas/lost', vm: this.id, holder });
      this.haltReason = `lost test-and-set to ${holder ?? 'another VM'}`;
      this._setRole('halted', this.haltReason);
      this._stopTimers();
      return;
    }
    this.env.trace(wonEvent);
    if (this.role === 'primary') {
      // Our backup is gone: go on alone, stop logging, let held outputs out.
      this._logBuffer.length = 0;
      this._inFlight.length = 0;
      this.peer = null;
      this._suspecting = false;
      this._setRole('live', 'backup failed; continuing without it');
      this._releaseOutputs(true);
      this._scheduleTick(0);
    } else if (this.role === 'backup') {
      // Replay everything we acknowledged, then go live.
      this._draining = true;
      this._setStall(null);
      this._scheduleTick(0);
    }
  }

  private _goLive(): void {
    const m = this.machine;
    if (this._buffer.length > 0) {
      this._divergence(`went live with ${this._buffer.length} unreplayed entries`);
      this._buffer.length = 0;
    }
    this._draining = false;
    this._suspecting = false;
    this.peer = null;
    this._setRole('live', 'primary failed; backup took over');
    this.env.trace({ type: 'vm/went-live', vm: this.id, icount: m.icount, receivedSeq: this._receivedSeq, consumedSeq: this._consumedSeq });
    this.env.send(SWITCH, { t: 'advertise' });
    this._advertisedAt = this.env.now();
    this.env.trace({ type: 'mac/advertised', vm: this.id });
    // The guest's clock continues from the last value it read (logged by the old primary), not
    // from this host's own clock: the guest sees one clock across the failover.
    if (this._lastClock !== null) this._clockOffsetMs = this._lastClock - CLOCK_BASE - Math.floor(this.env.now());
    // Pending disk I/O (started, not completed) is re-issued, writes with their bytes: it is idempotent (§3.4).
    const p = m.dev.diskPending;
    if (p) {
      this.env.trace({ type: 'io/reissued', vm: this.id, op: p.op, block: p.block });
      this._startIo(p.data ? { op: p.op, block: p.block, addr: p.addr, data: p.data } : { op: p.op, block: p.block, addr: p.addr }, true);
    }
    this._armTimer();
    this._scheduleTick(0);
  }

  // ------------------------------------------------------------ FT VMotion: a new backup

  /** Live VM: start logging to a new backup, sending it our machine's snapshot. */
  startBackup(newBackup: NodeId): void {
    if (this.role !== 'live') return;
    const snapshot = this.machine.snapshot();
    this.peer = newBackup;
    this._sentSeq = this._ackedSeq = this._peerConsumedSeq = this._nextSeq - 1;
    this._inFlight.length = 0;
    this._logBuffer.length = 0;
    this._peerIcount = this.machine.icount;
    this._lastHeard = this.env.now();
    this._suspecting = false;
    this._setRole('primary', `logging to new backup ${newBackup}`);
    // The new backup joins this VM's test-and-set generation: nothing on storage is cleared.
    this.env.send(newBackup, { t: 'snapshot', snapshot, nextSeq: this._nextSeq, gen: this._gen, lastClock: this._lastClock });
    this.env.trace({ type: 'snapshot/sent', vm: this.id, to: newBackup, icount: snapshot.icount });
  }

  private _onSnapshot(msg: Extract<Message, { t: 'snapshot' }>, from: NodeId): void {
    const { snapshot, nextSeq } = msg;
    this.machine.restore(snapshot);
    this._synced = true;
    this._gen = msg.gen;
    this._lastClock = msg.lastClock;
    this.peer = from;
    this._buffer.length = 0;
    this._receivedSeq = this._consumedSeq = this._reportedConsumed = nextSeq - 1;
    this._horizon = snapshot.icount;
    this._lastHeard = this.env.now();
    this._timerPeriod = snapshot.dev.timerPeriod;
    this._pendingIo = null;
    this._sendAck(true);
    this._scheduleTick(0);
  }

  // ------------------------------------------------------------ the machine's doors (MachineHost)

  readNondet(port: number): number {
    const value = this._readNondet(port);
    if (port === PORT.CLOCK) {
      this._lastClock = value;
      // What the guest's clock said, once per value: the clock checker reads these.
      if (value !== this._lastTracedClock) {
        this._lastTracedClock = value;
        this.env.trace({ type: 'guest/clock', vm: this.id, value });
      }
    }
    return value;
  }

  private _readNondet(port: number): number {
    const own = port === PORT.CLOCK ? (CLOCK_BASE + this._clockOffsetMs + Math.floor(this.env.now())) | 0 : this.env.rng.nextU32() | 0;
    const src: NondetSource = port === PORT.CLOCK ? 'clock' : 'random';
    if (this.role === 'primary') {
      if (!this._unlogged(src)) this._append({ seq: this._nextSeq++, icount: this.machine.icount, kind: 'nondet', port, value: own });
      return own;
    }
    if (this.role === 'backup') {
      if (this._unlogged(src)) return own;
      const e = this._buffer[0];
      if (e && e.kind === 'nondet' && e.port === port && e.icount === this.machine.icount) {
        this._consume(e);
        return e.value;
      }
      this._divergence(`in ${src} at icount ${this.machine.icount}, but the log's next entry is ${e ? `${e.kind} at ${e.icount}` : 'missing'}`);
      return own;
    }
    return own;
  }

  consoleWrite(byte: number): void {
    this._console += String.fromCharCode(byte);
    if (byte === 10 || this._console.length >= 120) this._flushConsole();
  }

  private _flushConsole(): void {
    if (!this._console) return;
    this.env.trace({ type: 'console', vm: this.id, text: this._console, suppressed: this.role === 'backup' });
    this._console = '';
  }

  netSend(frame: Uint8Array): void {
    const to = clientNode(frame[0]! | (frame[1]! << 8));
    this._output('net', to, { t: 'frame', frame }, digestBytes(frame));
  }

  diskStart(req: DiskRequest): void {
    if (this.role === 'backup') {
      // The backup never touches the disk (the machine keeps the request, to re-issue at go-live).
      if (req.op === 'write') this._output('disk-write', STORAGE, null, digestBytes(req.data ?? new Uint8Array(0)));
      return;
    }
    this._startIo(req, false);
  }

  private _startIo(req: DiskRequest, reissue: boolean): void {
    const tag = ++this._ioTag;
    const msg: Message = { t: 'disk', tag, op: req.op, block: req.block, data: req.data ?? null, gen: this._gen };
    this._pendingIo = { tag, req, msg };
    if (req.op === 'write' && !reissue) this._output('disk-write', STORAGE, msg, digestBytes(req.data ?? new Uint8Array(0)));
    else {
      this._pendingIo.sentAt = this.env.now();
      this.env.send(STORAGE, msg);
    }
  }

  /** An output: the primary logs it and holds it until acked; the backup checks and drops it. */
  private _output(kind: OutputKind, to: NodeId, msg: Message | null, digest: number): void {
    const m = this.machine;
    if (this.role === 'backup') {
      const e = this._buffer[0];
      if (e && e.kind === 'output' && e.output === kind && e.icount === m.icount) {
        if (e.digest !== digest) this._divergence(`${kind} output at icount ${m.icount} differs from the primary's`);
        this._consume(e);
        this.env.trace({ type: 'output/suppressed', vm: this.id, seq: e.seq, output: kind });
      } else {
        this._divergence(`${kind} output at icount ${m.icount}, but the log's next entry is ${e ? `${e.kind} at ${e.icount}` : 'missing'}`);
        this.env.trace({ type: 'output/suppressed', vm: this.id, seq: 0, output: kind });
      }
      return;
    }
    if (!msg) return;
    if (this.role === 'live') {
      this._emit({ seq: 0, kind, to, msg, heldAt: this.env.now() });
      return;
    }
    const seq = this._nextSeq++;
    this._append({ seq, icount: m.icount, kind: 'output', output: kind, digest });
    const h: HeldOutput = { seq, kind, to, msg, heldAt: this.env.now() };
    if (!this.config.outputRule) {
      this._emit(h); // teaching switch: the output leaves before the backup has the entry
      return;
    }
    this._held.push(h);
    this.env.trace({ type: 'output/held', vm: this.id, seq, output: kind, to });
    // The entry an output waits for is flushed at once, not at the end of the slice (FT paper §3.5).
    this._flush(false);
  }

  timerSet(periodMs: number): void {
    this._timerPeriod = periodMs;
    if (this.role === 'backup') {
      // The backup ignores its own timer: ticks come from the log (unless the switch says otherwise).
      if (this._unlogged('timer')) this._ownTimerNext = periodMs > 0 ? this.env.now() + periodMs : Infinity;
      return;
    }
    this._armTimer();
  }

  private _armTimer(): void {
    this._timer?.cancel();
    this._timer = null;
    if (this._timerPeriod <= 0 || !this.alive) return;
    this._timer = this.env.after(this._timerPeriod, () => this.onTimer('timer'), 'timer');
  }

  private _onGuestTimer(): void {
    this._timer = null;
    if (!this.alive) return;
    if (!this.paused && !this._inputs.some((i) => i.kind === 'timer')) this._queueInput({ kind: 'timer' });
    this._armTimer();
  }

  private _reportFault(): void {
    const f = this.machine.fault;
    if (f && this.haltReason === '') {
      this.haltReason = `guest fault: ${f.reason}`;
      this.env.trace({ type: 'vm/fault', vm: this.id, reason: f.reason, pc: f.pc, icount: f.icount });
    }
  }
}
