// Every safety and liveness check, shown failing on a doctored trace, and passing (or saying it
// had nothing to check) where it should.
import { describe, expect, it } from 'vitest';
import type { TraceBody, TraceEvent } from '../../ft/trace';
import { checkLeaseClients, TraceMonitor } from './ftCheckers';
import { SafetyMonitor } from './safety';
import { judge } from './verdicts';
import type { ClientOp } from '../clients';
import { asNodeId as nid } from '../../ft/messages';

type Body = TraceBody;
function feed(m: { listener: (ev: TraceEvent) => void }, events: readonly (Body & { t: number })[]): void {
  for (const e of events) m.listener(e as TraceEvent);
}
const start = (): (Body & { t: number })[] => [
  { t: 0, type: 'vm/role', vm: nid('A'), role: 'primary', reason: 'started' },
  { t: 0, type: 'vm/role', vm: nid('B'), role: 'backup', reason: 'started' },
];
const released = (t: number, vm: string, role: 'primary' | 'live'): Body & { t: number } => ({
  t,
  type: 'output/released',
  vm: nid(vm),
  seq: 1,
  output: 'net',
  to: nid('client-1'),
  role,
  delayMs: 0,
  ackedSeq: 1,
});

describe('split brain', () => {
  it('passes a failover: B wins test-and-set, advertises, serves; A released acknowledged outputs meanwhile', () => {
    const m = new SafetyMonitor();
    feed(m, [
      ...start(),
      released(5, 'A', 'primary'),
      { t: 10, type: 'tas/won', vm: nid('B') },
      released(10.5, 'A', 'primary'), // covered by B's ack: B continues from it (seed 1004110)
      { t: 11, type: 'vm/went-live', vm: nid('B'), icount: 1, receivedSeq: 1, consumedSeq: 1 },
      { t: 11, type: 'mac/advertised', vm: nid('B') },
      released(12, 'B', 'live'),
      { t: 13, type: 'storage/disk', op: 'write', block: 1, from: nid('B'), digest: 1, refused: null },
      { t: 14, type: 'storage/disk', op: 'write', block: 1, from: nid('A'), digest: 2, refused: 'stale generation' },
    ]);
    expect(m.splitBrain().status).toBe('pass');
  });

  it("counts storage's answer: the winner's writes may reach the trace before its own 'tas/won' (Web Workers)", () => {
    const m = new SafetyMonitor();
    feed(m, [
      ...start(),
      { t: 9, type: 'tas/requested', vm: nid('B') },
      { t: 10, type: 'storage/tas', holder: nid('B'), generation: 1, asker: nid('B'), won: true },
      { t: 12, type: 'storage/disk', op: 'write', block: 10, from: nid('B'), digest: 1, refused: null },
      { t: 10.5, type: 'tas/won', vm: nid('B') },
      { t: 10.5, type: 'vm/went-live', vm: nid('B'), icount: 1, receivedSeq: 1, consumedSeq: 1 },
      { t: 13, type: 'storage/disk', op: 'write', block: 11, from: nid('A'), digest: 2, refused: null },
    ]);
    // B's write is fine; A's, accepted after storage gave B the word, is split brain.
    expect(m.splitBrain().message).toMatch(/accepted a write to block 11 from A while B is the service/);
  });

  it('fails when a stale VM wins test-and-set after another has', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'tas/won', vm: nid('B') }, { t: 20, type: 'snapshot/sent', vm: nid('B'), to: nid('C'), icount: 5 }, { t: 30, type: 'tas/won', vm: nid('A') }]);
    expect(m.splitBrain()).toMatchObject({ status: 'fail', ok: false });
    expect(m.splitBrain().message).toMatch(/A won test-and-set although it is stale: B had already taken over/);
  });

  it('with test-and-set off, the second VM to go on alone is split brain, said as such', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'tas/won', vm: nid('B'), unarbitrated: true }, { t: 11, type: 'tas/won', vm: nid('A'), unarbitrated: true }]);
    expect(m.splitBrain()).toMatchObject({ status: 'fail', ok: false });
    expect(m.splitBrain().message).toBe('split brain: A went on alone while B already did (test-and-set is off: nothing stopped the second one)');
  });

  it("fails when storage accepts a stale VM's write", () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'tas/won', vm: nid('B') }, { t: 12, type: 'storage/disk', op: 'write', block: 3, from: nid('A'), digest: 9, refused: null }]);
    expect(m.splitBrain().message).toMatch(/accepted a write to block 3 from A while B is the service/);
  });

  it('fails when a VM that is not the service releases outputs as live or takes the MAC', () => {
    const live = new SafetyMonitor();
    feed(live, [...start(), { t: 10, type: 'tas/won', vm: nid('B') }, released(12, 'A', 'live')]);
    expect(live.splitBrain().status).toBe('fail');
    const mac = new SafetyMonitor();
    feed(mac, [...start(), { t: 10, type: 'mac/advertised', vm: nid('B') }]);
    expect(mac.splitBrain().status).toBe('fail');
  });

  it('a new backup started by the service may win later; the old partner may not', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'tas/won', vm: nid('B') }, { t: 20, type: 'snapshot/sent', vm: nid('B'), to: nid('C'), icount: 5 }, { t: 40, type: 'tas/won', vm: nid('C') }]);
    expect(m.splitBrain().status).toBe('pass');
  });
});

describe('durability', () => {
  const events: (Body & { t: number })[] = [
    ...start(),
    { t: 1, type: 'storage/disk', op: 'write', block: 7, from: nid('A'), digest: 111, refused: null },
    { t: 2, type: 'io/completed', vm: nid('A'), op: 'write', block: 7, ok: true, digest: 111 },
  ];
  it('passes when the disk holds what the guest was told was written', () => {
    const m = new SafetyMonitor();
    feed(m, events);
    expect(m.durability(() => 111).status).toBe('pass');
  });
  it('fails when the block holds something else (a re-issued write that lost its bytes)', () => {
    const m = new SafetyMonitor();
    feed(m, events);
    const v = m.durability(() => 222);
    expect(v.status).toBe('fail');
    expect(v.message).toMatch(/LOST WRITE: block 7/);
  });
  it('a later accepted write to the block is not a loss; nothing written is not a pass', () => {
    const m = new SafetyMonitor();
    feed(m, [...events, { t: 3, type: 'storage/disk', op: 'write', block: 7, from: nid('A'), digest: 333, refused: null }]);
    expect(m.durability(() => 333).status).toBe('pass');
    expect(new SafetyMonitor().durability(() => 0).status).toBe('not-checked');
  });
});

describe('power-off', () => {
  const off: Body & { t: number } = { t: 50, type: 'fault', kind: 'power-off-primary', detail: 'powered off A' };
  it('fails when a VM wins test-and-set after the power-off', () => {
    const m = new SafetyMonitor();
    // The primary halted at once without announcing the power-off (the lagging-backup bug).
    feed(m, [...start(), off, { t: 50, type: 'vm/role', vm: nid('A'), role: 'halted', reason: 'powered off' }, { t: 120, type: 'tas/requested', vm: nid('B') }, { t: 121, type: 'tas/won', vm: nid('B') }]);
    expect(m.powerOff().status).toBe('fail');
    expect(m.powerOff().message).toMatch(/B won test-and-set 71\.0 ms after A was powered off \(it had halted\)/);
    const acked = new SafetyMonitor();
    feed(acked, [...start(), { t: 50, type: 'power-off/requested', vm: nid('A'), seq: 7 }, off, { t: 52, type: 'entry/acked', vm: nid('A'), ackedSeq: 7, backupIcount: 1, lagMs: 0 }, { t: 120, type: 'tas/requested', vm: nid('B') }, { t: 121, type: 'tas/won', vm: nid('B') }]);
    expect(acked.powerOff().message).toMatch(/acknowledged the power-off entry/);
  });
  it('a primary cut off from its backup and storage cannot stop a takeover: said, not failed', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 50, type: 'power-off/requested', vm: nid('A'), seq: 7 }, off, { t: 120, type: 'tas/requested', vm: nid('B') }, { t: 121, type: 'tas/won', vm: nid('B') }]);
    expect(m.powerOff().status).toBe('pass');
    expect(m.powerOff().message).toMatch(/reached no one/);
  });
  it('passes when only the powered-off primary takes test-and-set, or a failover was already under way', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), off, { t: 50, type: 'tas/requested', vm: nid('A') }, { t: 51, type: 'tas/won', vm: nid('A') }]);
    expect(m.powerOff().status).toBe('pass');
    const late = new SafetyMonitor();
    feed(late, [...start(), { t: 49, type: 'tas/requested', vm: nid('B') }, off, { t: 51, type: 'tas/won', vm: nid('B') }]);
    expect(late.powerOff().status).toBe('pass');
    expect(new SafetyMonitor().powerOff().status).toBe('not-checked');
  });
});

describe('guest clock', () => {
  it('fails when a VM’s clock goes back (the backup went live on its own host clock)', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'guest/clock', vm: nid('B'), value: 1000 }, { t: 90, type: 'guest/clock', vm: nid('B'), value: 700 }]);
    expect(m.clock().status).toBe('fail');
    expect(m.clock().message).toMatch(/went back from 1000 to 700/);
  });
  it('fails when a clone starts below what its source had read', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'guest/clock', vm: nid('A'), value: 5000 }, { t: 11, type: 'snapshot/sent', vm: nid('A'), to: nid('C'), icount: 1 }, { t: 20, type: 'guest/clock', vm: nid('C'), value: 4990 }]);
    expect(m.clock().status).toBe('fail');
  });
  it('passes a clock that only moves forward; no reads is not a pass', () => {
    const m = new SafetyMonitor();
    feed(m, [...start(), { t: 10, type: 'guest/clock', vm: nid('A'), value: 5 }, { t: 11, type: 'guest/clock', vm: nid('A'), value: 6 }]);
    expect(m.clock().status).toBe('pass');
    expect(new SafetyMonitor().clock().status).toBe('not-checked');
  });
});

describe('replies', () => {
  const reply = (t: number, text: string, duplicate: boolean, contradicts: boolean): Body & { t: number } => ({
    t,
    type: 'client/reply',
    client: 1,
    reqId: 4,
    text,
    from: nid('A'),
    duplicate,
    contradicts,
  });
  it('counts an identical duplicate, fails a contradicting one', () => {
    const ok = new SafetyMonitor();
    feed(ok, [reply(1, 'VALUE 11', false, false), reply(2, 'VALUE 11', true, false)]);
    expect(ok.replies().status).toBe('pass');
    expect(ok.identicalDuplicates).toBe(1);
    const bad = new SafetyMonitor();
    feed(bad, [reply(1, 'VALUE 11', false, false), reply(2, 'VALUE 12', true, true)]);
    expect(bad.replies().status).toBe('fail');
  });
});

describe('liveness', () => {
  const opts = { settleMs: 100, replyWithinMs: 50 };
  it('fails when, long after the last fault, a VM is left but requests go unanswered', () => {
    const m = new SafetyMonitor(opts);
    feed(m, [
      ...start(),
      { t: 10, type: 'fault', kind: 'kill-primary', detail: 'killed A' },
      { t: 10, type: 'vm/role', vm: nid('A'), role: 'dead', reason: 'killed' },
      { t: 200, type: 'client/invoke', client: 1, reqId: 1, text: 'GET x' },
      { t: 250, type: 'client/timeout', client: 1, reqId: 1 },
    ]);
    const v = m.liveness(400);
    expect(v.status).toBe('fail');
    expect(v.message).toMatch(/SERVICE DOWN/);
  });
  it('passes when requests after the faults are answered; says not checked when no VM is left', () => {
    const m = new SafetyMonitor(opts);
    feed(m, [...start(), { t: 200, type: 'client/invoke', client: 1, reqId: 1, text: 'GET x' }, { t: 201, type: 'client/reply', client: 1, reqId: 1, text: 'NOTFOUND', from: nid('A'), duplicate: false, contradicts: false }]);
    expect(m.liveness(400).status).toBe('pass');
    const gone = new SafetyMonitor(opts);
    feed(gone, [...start(), { t: 1, type: 'vm/role', vm: nid('A'), role: 'dead', reason: 'killed' }, { t: 2, type: 'vm/role', vm: nid('B'), role: 'dead', reason: 'killed' }]);
    expect(gone.liveness(400).status).toBe('not-checked');
  });
});

describe('verdicts', () => {
  const monitor = () => new TraceMonitor({ outputRule: true, packetTimingLogged: true });
  const op = (reqId: number, text: string, reply: string | null, invoke: number, complete: number | null): ClientOp => ({
    client: 1,
    reqId,
    text,
    invoke,
    complete,
    reply,
    status: reply === null ? 'info' : 'ok',
    from: nid('A'),
  });
  it('a failed Output Requirement never says it holds', () => {
    const m = monitor();
    m.listener({ t: 1, type: 'output/released', vm: nid('A'), seq: 9, output: 'net', to: nid('client-1'), role: 'primary', delayMs: 0, ackedSeq: 8 });
    const v = judge({ program: 'kv-server', monitor: m, ops: [op(1, 'PUT x 1', 'OK', 0, 1)] });
    expect(v.outputRequirement.status).toBe('fail');
    expect(v.outputRequirement.message).not.toMatch(/holds/);
  });
  it('no completed operation is "not checked", never a pass', () => {
    const v = judge({ program: 'kv-server', monitor: monitor(), ops: [op(1, 'PUT x 1', null, 0, null)] });
    expect(v.outputRequirement.status).toBe('not-checked');
    expect(v.outputRequirement.ok).toBe('unknown');
  });
  it('liveness is not checked for a program that answers no client requests (primes owes them nothing)', () => {
    const unanswered = (): TraceMonitor => {
      const m = monitor();
      for (const ev of [
        { t: 0, type: 'vm/role', vm: nid('A'), role: 'primary', reason: 'boot' },
        { t: 0, type: 'vm/role', vm: nid('B'), role: 'backup', reason: 'boot' },
        { t: 1500, type: 'client/invoke', client: 100, reqId: 1, text: 'GET k1' },
        { t: 1800, type: 'client/timeout', client: 100, reqId: 1 },
      ] as TraceEvent[])
        m.listener(ev);
      return m;
    };
    // (the same silence is an outage for a server)
    expect(judge({ program: 'kv-server', monitor: unanswered(), ops: [], now: 5_000 }).liveness.status).toBe('fail');
    const v = judge({ program: 'primes', monitor: unanswered(), ops: [], now: 5_000 });
    expect(v.liveness.status).toBe('not-checked');
    expect(v.liveness.message).toBe('not checked: primes answers no client requests');
  });
  it('an undecided linearizability check is unknown, never a pass', () => {
    // Concurrent writes, and a budget of states too small to decide.
    const ops: ClientOp[] = [];
    for (let c = 1; c <= 6; c++) ops.push({ ...op(1, `PUT k v${c}`, 'OK', 0, 10), client: c });
    ops.push({ ...op(2, 'GET k', 'VALUE v3', 20, 21), client: 1 });
    expect(judge({ program: 'kv-server', monitor: monitor(), ops }).outputRequirement.status).toBe('pass');
    const v = judge({ program: 'kv-server', monitor: monitor(), ops, maxStates: 2 });
    expect(v.outputRequirement.status).toBe('unknown');
    expect(v.outputRequirement.ok).toBe('unknown');
  });
});

describe('lease safety (lease-server)', () => {
  const grant = (client: number, invoke: number, complete: number): ClientOp => ({
    client,
    reqId: invoke,
    text: 'LEASE k0',
    invoke,
    complete,
    reply: 'GRANTED k0',
    status: 'ok',
    from: nid('A'),
  });
  it('fails two clients trusting the same lease at once', () => {
    expect(checkLeaseClients([grant(1, 100, 101), grant(2, 110, 112)], 35).ok).toBe(false);
  });
  it('a grant that arrives after its window closed is not relied on (held replies released late, fuzz run 12001604)', () => {
    // Client 1 asked at 436 (trusts until 471), but its reply was held until 501: it never holds k0.
    expect(checkLeaseClients([grant(2, 480.4, 501.13), grant(1, 436.1, 501.24)], 35).ok).toBe(true);
  });
});
