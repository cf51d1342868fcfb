// The FT safety and liveness properties that are judged from the trace as it happens
// (docs/protocol.md, "Checked properties"). Each is defined on what the outside world can see:
//  - split brain: after test-and-set has been needed, only the VM that won it (the service) acts
//    alone: releases outputs as live, owns the MAC, has disk writes accepted; a stale VM (not the
//    service nor its current backup) never wins test-and-set or goes live;
//  - durability: every disk write whose completion reached the service's guest is on the shared
//    disk with its bytes (unless a later accepted write to that block replaced it);
//  - power-off: once the primary is powered off, no VM wins test-and-set and goes live;
//  - clock: the clock values a VM's guest reads never go backwards, nor below what the VM it was
//    cloned from (FT VMotion) had read;
//  - replies: a duplicate reply never contradicts the first (identical duplicates are counted);
//  - liveness: once faults stop, a service that still has a VM answers every client in time.
// A check with nothing to judge says so ('not-checked'), never passes.

import type { TraceEvent } from '../../ft/trace';

export type VerdictStatus = 'pass' | 'fail' | 'unknown' | 'not-checked';

export interface CheckVerdict {
  readonly status: VerdictStatus;
  /** true = pass, false = fail, 'unknown' = unknown or not checked (never a pass). */
  readonly ok: boolean | 'unknown';
  readonly message: string;
}

export function verdict(status: VerdictStatus, message: string): CheckVerdict {
  return { status, ok: status === 'pass' ? true : status === 'fail' ? false : 'unknown', message };
}

export interface SafetyViolation {
  readonly t: number;
  readonly property: 'split-brain' | 'durability' | 'power-off' | 'clock' | 'replies';
  readonly message: string;
}

export interface LivenessOptions {
  /** Virtual ms after the last fault before the service must answer again. */
  readonly settleMs: number;
  /** How long a client waits for a reply (a request unanswered this long is a miss). */
  readonly replyWithinMs: number;
}

/** Two requests to storage sent this close together may arrive in either order (link jitter). */
const RACE_MS = 0.5;

const fmt = (t: number): string => `${t.toFixed(1)} ms`;

export class SafetyMonitor {
  readonly violations: SafetyViolation[] = [];
  /** The VM allowed to act alone (the last to win test-and-set, or the first primary). */
  private _service: string | null = null;
  /** Winners whose storage answer was seen and whose own 'tas/won' is still to come. */
  private readonly _wonAtStorage = new Set<string>();
  /** The current pair: the service and the backup it logs to; only these may win test-and-set. */
  private _pair = new Set<string>();
  private _tasNeeded = false;
  private readonly _roles = new Map<string, string>();
  private readonly _paused = new Set<string>();
  /** Someone has won test-and-set: VMs that appear from now on are not the starting pair. */
  private _disturbed = false;
  // durability
  private readonly _expected = new Map<number, { digest: number; t: number; vm: string }>();
  private readonly _lastAccepted = new Map<number, number>();
  // power-off
  private _poweredOffAt: number | null = null;
  private _poweredOffVm: string | null = null;
  private _powerOffSeq: number | null = null;
  /** What the powered-off primary had achieved: its backup acknowledged the entry; it won test-and-set; it halted. */
  private _powerOff = { acked: false, fenced: false, halted: false };
  /** When each VM first asked for test-and-set in its current attempt. */
  private readonly _tasAskedAt = new Map<string, number>();
  // clock
  private readonly _clock = new Map<string, number>();
  private readonly _clockFloor = new Map<string, { value: number; from: string }>();
  /** A power-off that could reach no one, so the backup took over (not a violation; said in the verdict). */
  powerOffOvertaken: string | null = null;
  // replies
  identicalDuplicates = 0;
  // liveness: only outstanding requests are kept (a long session stays bounded)
  private readonly _invoked = new Map<string, number>();
  private _answers = 0;
  /** Since the faults stopped for settleMs: requests answered, and the first one missed. */
  private _checked = 0;
  private _answeredSince = 0;
  /** Requests the client gave up on since then, whose reply may still come. */
  private readonly _late = new Set<string>();
  /** Per client since then: answered at least once, and its first unanswered request. */
  private readonly _clients = new Map<string, { answered: boolean; miss: { key: string; invoke: number } | null }>();
  private _lastFaultAt = 0;
  /** Whether any fault has been injected (before one, the wait counts from the start of the run). */
  private _faulted = false;
  /** A cut or partition is in place (until a heal). */
  private _impaired = false;
  private _lastEventAt = 0;
  private readonly _reported = new Set<string>();

  constructor(readonly liveOpts: LivenessOptions = { settleMs: 300, replyWithinMs: 300 }) {}

  readonly listener = (ev: TraceEvent): void => {
    this._lastEventAt = ev.t;
    switch (ev.type) {
      case 'vm/role':
        this._onRole(ev.vm, ev.role);
        // Halted: it gave up (a crash, 'dead', is a failure like any other: a takeover is right).
        if (ev.vm === this._poweredOffVm && ev.role === 'halted') this._powerOff.halted = true;
        break;
      case 'power-off/requested':
        this._powerOffSeq = ev.seq;
        break;
      case 'entry/acked':
        if (ev.vm === this._poweredOffVm && this._powerOffSeq !== null && ev.ackedSeq >= this._powerOffSeq) this._powerOff.acked = true;
        break;
      case 'storage/tas':
        if (ev.asker === this._poweredOffVm && ev.won && this._poweredOffAt !== null) this._powerOff.fenced = true;
        // Storage's answer is what decides: in the Web Workers runtime the winner's own 'tas/won'
        // reaches the page after storage has already accepted its first writes.
        if (ev.won) {
          this._onTasWon(ev.asker, ev.t);
          this._wonAtStorage.add(ev.asker);
        }
        break;
      case 'vm/stall':
        if (ev.reason === 'paused') this._paused.add(ev.vm);
        else this._paused.delete(ev.vm);
        break;
      case 'tas/requested':
        if (!this._tasAskedAt.has(ev.vm)) this._tasAskedAt.set(ev.vm, ev.t);
        break;
      case 'tas/lost':
        this._tasAskedAt.delete(ev.vm);
        break;
      case 'tas/won':
        // Already counted when storage answered (a trace without storage events counts it here).
        if (!this._wonAtStorage.delete(ev.vm)) this._onTasWon(ev.vm, ev.t, ev.unarbitrated === true);
        this._tasAskedAt.delete(ev.vm);
        break;
      case 'snapshot/sent':
        if (ev.vm === this._service) this._pair = new Set([ev.vm, ev.to]);
        if (this._clock.has(ev.vm)) this._clockFloor.set(ev.to, { value: this._clock.get(ev.vm)!, from: ev.vm });
        break;
      case 'vm/went-live':
        if (ev.vm !== this._service) this._flag(ev.t, 'split-brain', `split brain: ${ev.vm} went live, but ${this._service ?? 'no VM'} holds test-and-set`);
        break;
      case 'output/released':
        if (ev.role === 'live' && ev.vm !== this._service && this._tasNeeded) {
          this._flag(ev.t, 'split-brain', `split brain: ${ev.vm} released an output as a live VM while ${this._service ?? 'another VM'} is the service`);
        }
        break;
      case 'mac/advertised':
        if (ev.vm !== this._service) this._flag(ev.t, 'split-brain', `split brain: ${ev.vm} took the service MAC while ${this._service ?? 'another VM'} is the service`);
        break;
      case 'storage/disk':
        if (ev.op === 'write' && ev.refused === null) {
          this._lastAccepted.set(ev.block, ev.t);
          if (this._service !== null && ev.from !== this._service) {
            this._flag(ev.t, 'split-brain', `split brain: shared storage accepted a write to block ${ev.block} from ${ev.from} while ${this._service} is the service`);
          }
        }
        break;
      case 'io/completed':
        if (ev.op === 'write' && ev.ok && ev.digest !== null && ev.vm === this._service) this._expected.set(ev.block, { digest: ev.digest, t: ev.t, vm: ev.vm });
        break;
      case 'fault':
        if (ev.detail !== 'no effect') {
          if (ev.kind === 'heal') this._impaired = false;
          else if (ev.kind === 'cut-channel' || ev.kind.startsWith('partition-')) this._impaired = true;
          this._lastFaultAt = ev.t;
          this._faulted = true;
          this._checked = 0;
          this._answeredSince = 0;
          this._clients.clear();
          this._late.clear();
        }
        if (ev.kind === 'power-off-primary' && ev.detail !== 'no effect' && this._poweredOffAt === null) {
          this._poweredOffAt = ev.t;
          this._poweredOffVm = /powered off (\S+)/.exec(ev.detail)?.[1] ?? null;
          if (this._roles.get(this._poweredOffVm ?? '') === 'halted') this._powerOff.halted = true;
        }
        break;
      case 'guest/clock': {
        const last = this._clock.get(ev.vm);
        const floor = this._clockFloor.get(ev.vm);
        if (last !== undefined && ev.value < last) {
          this._flag(ev.t, 'clock', `the guest clock of ${ev.vm} went back from ${last} to ${ev.value} (${last - ev.value} ms)`);
        } else if (last === undefined && floor && ev.value < floor.value) {
          this._flag(ev.t, 'clock', `the guest clock of ${ev.vm} read ${ev.value}, ${floor.value - ev.value} ms before what ${floor.from}'s guest had read when ${ev.vm} was cloned from it`);
        }
        this._clock.set(ev.vm, ev.value);
        break;
      }
      case 'client/invoke':
        this._invoked.set(`${ev.client}#${ev.reqId}`, ev.t);
        break;
      case 'client/reply': {
        if (ev.contradicts) this._flag(ev.t, 'replies', `client ${ev.client} got "${ev.text}" from ${ev.from} for request #${ev.reqId}, contradicting the reply it already had`);
        else if (ev.duplicate) this.identicalDuplicates++;
        if (!ev.duplicate) {
          this._answers++;
          this._settle(`${ev.client}#${ev.reqId}`, true);
        } else {
          this._late.delete(`${ev.client}#${ev.reqId}`);
        }
        // Any reply once the faults have stopped (a late one, to an older request, too) shows the
        // service is answering this client: slow under a backlog, but not down.
        if (ev.t >= this._lastFaultAt + this.liveOpts.settleMs) {
          const client = String(ev.client);
          const c = this._clients.get(client) ?? { answered: false, miss: null };
          c.answered = true;
          this._clients.set(client, c);
        }
        break;
      }
      case 'client/timeout':
        this._settle(`${ev.client}#${ev.reqId}`, false);
        break;
      default:
        break;
    }
  };

  private _settle(key: string, answered: boolean): void {
    const invoke = this._invoked.get(key);
    if (invoke === undefined) return;
    this._invoked.delete(key);
    if (invoke < this._lastFaultAt + this.liveOpts.settleMs) return;
    this._checked++;
    const client = key.slice(0, key.indexOf('#'));
    const c = this._clients.get(client) ?? { answered: false, miss: null };
    if (answered) {
      c.answered = true;
      this._answeredSince++;
    } else {
      c.miss ??= { key, invoke };
      this._late.add(key);
      if (this._late.size > 10_000) this._late.delete(this._late.values().next().value!);
    }
    this._clients.set(client, c);
  }

  private _onRole(vm: string, role: string): void {
    const before = this._roles.get(vm);
    this._roles.set(vm, role);
    // The starting pair: VMs that appear before anyone has won test-and-set (at t = 0 in the
    // simulator; a moment later in the Web Workers runtime, where workers boot while the page
    // may already be changing the workload). A new backup only comes after a go-live.
    if (before === undefined && !this._disturbed && (role === 'primary' || role === 'live' || role === 'backup')) {
      // The starting pair.
      this._pair.add(vm);
      if (role !== 'backup' && this._service === null) this._service = vm;
    }
  }

  /** `unarbitrated`: test-and-set is off, and `vm` went on alone without asking. */
  private _onTasWon(vm: string, t: number, unarbitrated = false): void {
    this._tasNeeded = true;
    this._disturbed = true;
    if (!this._pair.has(vm)) {
      const service = this._service ?? 'no VM';
      this._flag(
        t,
        'split-brain',
        unarbitrated
          ? `split brain: ${vm} went on alone while ${service} already did (test-and-set is off: nothing stopped the second one)`
          : `split brain: ${vm} won test-and-set although it is stale: ${service} had already taken over (the VMs that may claim it now: ${[...this._pair].join(', ') || 'none'})`,
      );
    }
    // After a power-off, another VM may win test-and-set only if it was already asking (its
    // failover under way, within the time a request takes to reach storage), or while the
    // powered-off primary is still trying and has reached neither its backup nor storage (cut
    // off from both, it looks failed: nothing can tell the difference). Otherwise the power-off
    // was announced (acknowledged, or test-and-set taken) or given up on: no VM may go live.
    const asked = this._tasAskedAt.get(vm) ?? t;
    if (this._poweredOffAt !== null && vm !== this._poweredOffVm && asked >= this._poweredOffAt + RACE_MS) {
      const p = this._powerOff;
      const why = p.acked ? 'its backup had acknowledged the power-off entry' : p.fenced ? 'it had taken test-and-set' : p.halted ? 'it had halted' : null;
      if (why) this._flag(t, 'power-off', `${vm} won test-and-set ${fmt(t - this._poweredOffAt)} after ${this._poweredOffVm ?? 'the primary'} was powered off (${why})`);
      else this.powerOffOvertaken = `${vm} went live while ${this._poweredOffVm ?? 'the primary'}, powered off, could reach neither its backup nor storage`;
    }
    this._service = vm;
    this._pair = new Set([vm]);
  }

  private _flag(t: number, property: SafetyViolation['property'], message: string): void {
    // One report per property and message kind is enough to explain a run.
    const key = `${property}:${message.split(' ').slice(0, 4).join(' ')}`;
    if (this._reported.has(key)) return;
    this._reported.add(key);
    this.violations.push({ t, property, message });
  }

  private _first(p: SafetyViolation['property']): SafetyViolation | undefined {
    return this.violations.find((v) => v.property === p);
  }

  splitBrain(): CheckVerdict {
    const v = this._first('split-brain');
    if (v) return verdict('fail', v.message);
    return verdict('pass', this._tasNeeded ? `no split brain: only ${this._service ?? 'the winner of test-and-set'} acted alone` : 'no split brain: one primary, test-and-set never needed');
  }

  /** `blockDigest` reads the shared disk as it is now. */
  durability(blockDigest: (block: number) => number): CheckVerdict {
    const v = this._first('durability');
    if (v) return verdict('fail', v.message);
    if (this._expected.size === 0) return verdict('not-checked', 'not checked: no disk write completed');
    for (const [block, e] of this._expected) {
      if (blockDigest(block) === e.digest) continue;
      const later = this._lastAccepted.get(block);
      if (later !== undefined && later > e.t) continue; // replaced by a later accepted write
      return verdict('fail', `LOST WRITE: block ${block} does not hold what ${e.vm}'s write completed at ${fmt(e.t)} (the guest was told it was on disk)`);
    }
    return verdict('pass', `every completed write is on the shared disk with its bytes (${this._expected.size} block${this._expected.size === 1 ? '' : 's'})`);
  }

  powerOff(): CheckVerdict {
    const v = this._first('power-off');
    if (v) return verdict('fail', v.message);
    if (this._poweredOffAt === null) return verdict('not-checked', 'not checked: no power-off');
    if (this.powerOffOvertaken) return verdict('pass', `the power-off reached no one in time: ${this.powerOffOvertaken}`);
    return verdict('pass', `after ${this._poweredOffVm ?? 'the primary'} was powered off at ${fmt(this._poweredOffAt)} no VM went live`);
  }

  clock(): CheckVerdict {
    const v = this._first('clock');
    if (v) return verdict('fail', v.message);
    if (this._clock.size === 0) return verdict('not-checked', 'not checked: the guest never read the clock');
    return verdict('pass', "the guest's clock never went backwards");
  }

  replies(): CheckVerdict {
    const v = this._first('replies');
    if (v) return verdict('fail', v.message);
    if (this._answers === 0) return verdict('not-checked', 'not checked: no replies');
    return verdict('pass', `no reply contradicted another (${this.identicalDuplicates} identical duplicate${this.identicalDuplicates === 1 ? '' : 's'}, which the paper allows)`);
  }

  /**
   * Liveness at virtual time `now`: once the faults have stopped for `settleMs`, while a VM is
   * left to serve, every client that asks gets answers (a request lost to overload is not a
   * service down; a client never answered is).
   */
  liveness(now: number): CheckVerdict {
    const opts = this.liveOpts;
    const vms = [...this._roles].map(([id, role]) => ({ id, role, paused: this._paused.has(id) }));
    if (this._poweredOffAt !== null) return verdict('not-checked', 'not checked: the service was powered off');
    const serving = vms.filter((v) => v.role === 'primary' || v.role === 'live' || v.role === 'backup');
    if (serving.length === 0) {
      return verdict('not-checked', `not checked: no VM is left to serve (${vms.map((v) => `${v.id} ${v.role}`).join(', ')})`);
    }
    if (serving.some((v) => v.paused)) return verdict('not-checked', 'not checked: a VM is still paused');
    if (this._impaired) return verdict('not-checked', 'not checked: a cut or partition is still in place');
    const from = this._lastFaultAt + opts.settleMs;
    if (now < from + opts.replyWithinMs) {
      const since = this._faulted ? `the last fault was ${fmt(now - this._lastFaultAt)} ago` : `the run began ${fmt(now)} ago`;
      return verdict('not-checked', `not checked yet: ${since} (checked from ${fmt(opts.settleMs + opts.replyWithinMs)} after it)`);
    }
    if (!serving.some((v) => v.role === 'primary' || v.role === 'live')) {
      return verdict('fail', `SERVICE DOWN: ${fmt(now - this._lastFaultAt)} after the last fault no VM serves (${vms.map((v) => `${v.id} ${v.role}`).join(', ')})`);
    }
    const clients = new Map(this._clients);
    let checked = this._checked;
    for (const [key, invoke] of this._invoked) {
      // Still waiting, long past the time a reply was due.
      if (invoke < from || invoke > now - opts.replyWithinMs) continue;
      checked++;
      const client = key.slice(0, key.indexOf('#'));
      const c = clients.get(client) ?? { answered: false, miss: null };
      clients.set(client, { answered: c.answered, miss: c.miss ?? { key, invoke } });
    }
    for (const [client, c] of clients) {
      if (!c.answered && c.miss) {
        return verdict('fail', `SERVICE DOWN: client ${client} got no reply at all once the faults had stopped (request ${c.miss.key} sent at ${fmt(c.miss.invoke)}, ${fmt(c.miss.invoke - this._lastFaultAt)} after the last fault)`);
      }
    }
    if (checked === 0) return verdict('not-checked', 'not checked: no request was sent after the faults stopped');
    return verdict('pass', `every client was answered once the faults had stopped (${this._answeredSince} of ${checked} requests from ${fmt(opts.settleMs)} after the last fault)`);
  }
}

/** How long after the last fault the service must answer again (liveness): detection, test-and-set retries, draining. */
export function livenessOptions(clientTimeoutMs: number, failureTimeoutMs: number): { settleMs: number; replyWithinMs: number } {
  return { settleMs: 5 * failureTimeoutMs + 100, replyWithinMs: clientTimeoutMs };
}
