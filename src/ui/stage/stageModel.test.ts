import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../engine/ft/trace';
import { along, route } from './layout';
import { CLIENTS, STORAGE, assignSlots, boxLines, bufferTitle, channelInUse, clientName, emptyFold, foldEvents, laneWords, silence, type SlotVm } from './stageModel';
import { asNodeId as nid } from '../../workers/pure';

const ev = (e: TraceEvent): TraceEvent => e;
const peers = { macOwner: 'A', peerOf: (id: string) => (id === 'A' ? 'B' : id === 'B' ? 'A' : null) };

describe('the stage model', () => {
  it('turns a flush into one coloured message per entry, and the backup’s receipt into an ack', () => {
    const f = emptyFold();
    const out = foldEvents(
      f,
      [
        ev({ type: 'entry/appended', vm: nid('A'), seq: 1, icount: 10, kind: 'timer', t: 1 }),
        ev({ type: 'entry/appended', vm: nid('A'), seq: 2, icount: 12, kind: 'nondet', t: 1 }),
        ev({ type: 'entry/flushed', vm: nid('A'), fromSeq: 1, toSeq: 2, bytes: 40, horizon: 12, t: 1 }),
        ev({ type: 'entry/received', vm: nid('B'), fromSeq: 1, toSeq: 2, buffered: 2, t: 1.5 }),
      ],
      peers,
    );
    expect(out.map((m) => [m.kind, m.from, m.to, m.glyph, m.drop])).toEqual([
      ['entry', 'A', 'B', 'T', false],
      ['entry', 'A', 'B', 'V', false],
      ['ack', 'B', 'A', '✓', false],
    ]);
    expect(out[0]!.label).toBe('log entry #1: timer interrupt');
  });

  it('drops what is sent on a cut link or to a dead VM, and says so', () => {
    const f = emptyFold();
    foldEvents(f, [ev({ type: 'fault', kind: 'cut-channel', detail: 'cut the logging channel to-backup between A and B', t: 5 })], peers);
    const out = foldEvents(
      f,
      [ev({ type: 'heartbeat', vm: nid('A'), to: nid('B'), t: 6 }), ev({ type: 'heartbeat', vm: nid('B'), to: nid('A'), t: 6 })],
      peers,
    );
    expect(out.map((m) => m.drop)).toEqual([true, false]);
    expect(out[0]!.label).toMatch(/^dropped heartbeat/);
    foldEvents(f, [ev({ type: 'fault', kind: 'heal', detail: 'healed every cut and partition', t: 7 }), ev({ type: 'vm/role', vm: nid('B'), role: 'dead', reason: 'killed', t: 7 })], peers);
    expect(foldEvents(f, [ev({ type: 'heartbeat', vm: nid('A'), to: nid('B'), t: 8 })], peers)[0]!.drop).toBe(true);
  });

  it('routes client traffic through the switch to whoever owns the service MAC; none owner drops it', () => {
    const out = foldEvents(emptyFold(), [ev({ type: 'client/invoke', client: 1, reqId: 3, text: 'GET k', t: 1 })], { macOwner: 'B' });
    expect([out[0]!.from, out[0]!.to, out[0]!.drop]).toEqual([CLIENTS, 'B', false]);
    const none = foldEvents(emptyFold(), [ev({ type: 'client/invoke', client: 1, reqId: 3, text: 'GET k', t: 1 })], { macOwner: null });
    expect(none[0]!.drop).toBe(true);
  });

  it('test-and-set, disk and MAC messages go to and from shared storage and the switch', () => {
    const out = foldEvents(
      emptyFold(),
      [
        ev({ type: 'tas/requested', vm: nid('B'), t: 1 }),
        ev({ type: 'tas/won', vm: nid('B'), t: 2 }),
        ev({ type: 'mac/advertised', vm: nid('B'), t: 3 }),
        ev({ type: 'output/released', vm: nid('B'), seq: 4, output: 'disk-write', to: nid('storage'), role: 'live', delayMs: 0, ackedSeq: 0, t: 4 }),
        ev({ type: 'storage/disk', op: 'read', block: 0, from: nid('B'), digest: null, refused: null, t: 5 }),
      ],
      peers,
    );
    expect(out.map((m) => `${m.kind}:${m.from}>${m.to}`)).toEqual(['tas-request:B>storage', 'tas-answer:storage>B', 'mac:B>switch', 'disk-write:B>storage', 'disk-read:storage>B']);
    expect(out[1]!.label).toBe('test-and-set answer: B won');
  });

  it('counts each VM’s silence from the last time it heard its peer', () => {
    const f = emptyFold();
    foldEvents(f, [ev({ type: 'vm/role', vm: nid('B'), role: 'backup', reason: 'started', t: 0 }), ev({ type: 'entry/received', vm: nid('B'), fromSeq: 1, toSeq: 1, buffered: 1, t: 20 })], peers);
    expect(silence(f, 'B', 50, 60)).toEqual({ silentMs: 30, fraction: 0.5 });
    expect(silence(f, 'B', 200, 60).fraction).toBe(1);
  });

  it('keeps the last console line, across writes that split a line', () => {
    const f = emptyFold();
    foldEvents(f, [ev({ type: 'console', vm: nid('A'), text: 'kv-server: recovered 0 records\nkv-', suppressed: false, t: 1 }), ev({ type: 'console', vm: nid('A'), text: 'server ready\n', suppressed: false, t: 2 })], peers);
    expect(f.lastConsole.get('A')?.line).toBe('kv-server ready');
  });

  it('has a route for every edge it animates, and points along it', () => {
    const slot = (id: string): number | null => (id === 'A' ? 0 : id === 'B' ? 1 : null);
    for (const [a, b] of [[CLIENTS, 'A'], [CLIENTS, 'B'], ['A', CLIENTS], ['B', 'switch'], ['A', 'B'], ['B', 'A'], ['A', STORAGE], [STORAGE, 'B']] as const) expect(route(a, b, slot), `${a}>${b}`).not.toBeNull();
    expect(route('A', 'C', slot)).toBeNull();
    const at = along([[0, 0], [10, 0], [10, 10]]);
    expect(at(0.5)).toEqual([10, 0]);
    expect(at(1)).toEqual([10, 10]);
  });

  describe('messages with identity (net/sent, net/delivered, net/dropped)', () => {
    const sent = (id: string, from: string, to: string, msg: Extract<TraceEvent, { type: 'net/sent' }>['msg'], label: string, t = 1, extra: { retransmit?: string } = {}): TraceEvent =>
      ev({ type: 'net/sent', id, from: nid(from), to: nid(to), msg, link: msg === 'frame' ? 'clients' : msg.startsWith('disk') || msg.startsWith('tas') ? 'storage' : 'channel', label, t, ...extra });

    it('draws exactly the traced messages, by id, and no longer infers them from protocol events', () => {
      const f = emptyFold();
      const out = foldEvents(
        f,
        [
          ev({ type: 'entry/appended', vm: nid('A'), seq: 1, icount: 10, kind: 'timer', t: 1 }),
          ev({ type: 'entry/appended', vm: nid('A'), seq: 2, icount: 12, kind: 'packet', t: 1 }),
          sent('A#1', 'A', 'B', 'log', '#1–2'),
          ev({ type: 'entry/flushed', vm: nid('A'), fromSeq: 1, toSeq: 2, bytes: 40, horizon: 12, t: 1 }),
          ev({ type: 'heartbeat', vm: nid('A'), to: nid('B'), t: 1 }),
          sent('B#1', 'B', 'A', 'ack', 'ack #2', 1.2),
        ],
        peers,
      );
      expect(out.map((m) => [m.kind, m.id, m.from, m.to, m.glyph])).toEqual([
        ['entry', 'A#1', 'A', 'B', 'P'],
        ['ack', 'B#1', 'B', 'A', '✓'],
      ]);
      expect(out[0]!.label).toBe('log entries #1–2: timer interrupt, packet');
      expect([...f.inFlight.keys()]).toEqual(['A#1', 'B#1']);
      foldEvents(f, [ev({ type: 'net/delivered', id: 'A#1', t: 1.3 })], peers);
      expect([...f.inFlight.keys()]).toEqual(['B#1']);
    });

    it('a message dropped in the batch that sent it falls once; one dropped later falls by its id, and its resend travels', () => {
      const f = emptyFold();
      const same = foldEvents(f, [sent('A#1', 'A', 'B', 'log', 'heartbeat'), ev({ type: 'net/dropped', id: 'A#1', why: 'cut', t: 1 })], peers);
      expect(same.map((m) => [m.kind, m.id, m.drop])).toEqual([['heartbeat', 'A#1', true]]);
      expect(same[0]!.label).toBe('dropped heartbeat from A to B: the link is cut');
      foldEvents(f, [sent('A#2', 'A', 'B', 'log', '#3')], peers);
      const later = foldEvents(f, [ev({ type: 'net/dropped', id: 'A#2', why: 'learner', t: 1.1 }), sent('A#2.r', 'A', 'B', 'log', '#3', 1.1, { retransmit: 'A#2' })], peers);
      expect(later.map((m) => [m.id, m.drop])).toEqual([
        ['A#2', true],
        ['A#2.r', false],
      ]);
      expect(later[0]!.label).toMatch(/you dropped it$/);
      expect(later[1]!.label).toMatch(/\(resent\)$/);
      expect([...f.inFlight.keys()]).toEqual(['A#2.r']);
      // An id it never saw sent (a thinned trace): nothing to draw.
      expect(foldEvents(f, [ev({ type: 'net/dropped', id: 'Z#9', why: 'dead', t: 2 })], peers)).toEqual([]);
    });

    it('client traffic: the request carries what the client typed; the reply goes back to the clients; no owner drops it at the switch', () => {
      const f = emptyFold();
      const out = foldEvents(
        f,
        [
          ev({ type: 'client/invoke', client: 1, reqId: 3, text: 'GET k', t: 1 }),
          sent('client-1#1', 'client-1', 'A', 'frame', 'request'),
          sent('A#5', 'A', 'client-1', 'frame', 'reply', 2),
          sent('client-1#2', 'client-1', 'switch', 'frame', 'request', 3),
          ev({ type: 'net/dropped', id: 'client-1#2', why: 'dead', t: 3 }),
        ],
        { macOwner: 'A' },
      );
      expect(out.map((m) => [m.kind, m.from, m.to, m.drop])).toEqual([
        ['request', CLIENTS, 'A', false],
        ['reply', 'A', CLIENTS, false],
        ['request', CLIENTS, 'switch', true],
      ]);
      expect(out[0]!.label).toBe('request from client 1: #3 GET k');
    });

    it('names storage traffic and test-and-set', () => {
      const out = foldEvents(
        emptyFold(),
        [sent('A#1', 'A', STORAGE, 'disk', 'write block 3'), sent('storage#1', STORAGE, 'A', 'disk-done', 'disk done'), sent('B#1', 'B', STORAGE, 'tas', 'test-and-set'), sent('storage#2', STORAGE, 'B', 'tas-result', 'won'), sent('B#2', 'B', 'switch', 'advertise', 'MAC advertisement')],
        peers,
      );
      expect(out.map((m) => [m.kind, m.glyph, m.important])).toEqual([
        ['disk-write', 'W', false],
        ['disk-done', 'd', false],
        ['tas-request', '?', true],
        ['tas-answer', '✔', true],
        ['mac', 'M', true],
      ]);
      expect(out[3]!.label).toBe('test-and-set answer: B won');
    });
  });

  describe('placing the VMs in the two slots', () => {
    const vm = (id: string, role: string, peer: string | null = null): SlotVm => ({ id, role, peer });
    const placed = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort());

    it('a new backup takes the slot of a halted VM (cut channel → B halts → Restart backup)', () => {
      let s = assignSlots(new Map(), [vm('A', 'primary', 'B'), vm('B', 'backup', 'A')], 'A');
      expect(placed(s)).toEqual({ A: 0, B: 1 });
      s = assignSlots(s, [vm('A', 'live'), vm('B', 'halted', 'A')], 'A');
      expect(placed(s)).toEqual({ A: 0, B: 1 });
      s = assignSlots(s, [vm('A', 'primary', 'C'), vm('B', 'halted', 'A'), vm('C', 'backup', 'A')], 'A');
      expect(placed(s)).toEqual({ A: 0, C: 1 });
    });

    it('a live VM takes a slot from two halted ones (split brain: A and B halted, C live)', () => {
      const s = assignSlots(new Map([['A', 0], ['B', 1]]), [vm('A', 'halted'), vm('B', 'halted'), vm('C', 'live')], 'C');
      expect(s.get('C')).toBeDefined();
      expect(s.size).toBe(2);
    });

    it('a dead primary stays where it fell until the new backup needs its slot', () => {
      let s = assignSlots(new Map([['A', 0], ['B', 1]]), [vm('A', 'dead', 'B'), vm('B', 'live')], 'B');
      expect(placed(s)).toEqual({ A: 0, B: 1 });
      s = assignSlots(s, [vm('A', 'dead', 'B'), vm('B', 'primary', 'C'), vm('C', 'backup', 'B')], 'B');
      expect(placed(s)).toEqual({ B: 1, C: 0 });
    });

    it('a fresh lab starts A left, B right, even if the stage last placed another run after its failover', () => {
      // (the store still holds the old run's VMs when the new lab's slots start)
      const stale = assignSlots(new Map(), [vm('A', 'dead', 'B'), vm('B', 'live')], 'B');
      expect(placed(assignSlots(stale, [vm('A', 'primary', 'B'), vm('B', 'backup', 'A')], 'A'))).toEqual({ A: 0, B: 1 });
      expect(placed(assignSlots(new Map(), [vm('A', 'primary', 'B'), vm('B', 'backup', 'A')], 'A'))).toEqual({ A: 0, B: 1 });
    });
  });

  describe('the logging channel without a backup', () => {
    const vm = (id: string, role: string, peer: string | null = null): SlotVm => ({ id, role, peer });

    it('is in use between a primary and its backup (cut or not, until one of them gives up)', () => {
      expect(channelInUse(vm('A', 'primary', 'B'), vm('B', 'backup', 'A'))).toBe(true);
      // The primary died; the backup still listens until it goes live.
      expect(channelInUse(vm('A', 'dead', 'B'), vm('B', 'backup', 'A'))).toBe(true);
    });

    it('idles once the survivor goes live, and says so; Restart backup puts it back in use', () => {
      const a = vm('A', 'dead', 'B');
      const b = vm('B', 'live');
      expect(channelInUse(a, b)).toBe(false);
      expect(laneWords(a, b, [a, b])).toEqual(['no backup —', 'nothing to log to']);
      const c = vm('C', 'backup', 'B');
      const b2 = vm('B', 'primary', 'C');
      expect(channelInUse(c, b2)).toBe(true);
      expect(laneWords(c, b2, [a, b2, c])).toEqual(['acks, heartbeats ▸', '◂ log entries, heartbeats']);
      // The backup's primary died: the backup still listens; the dead side is silent.
      expect(laneWords(a, vm('B', 'backup', 'A'), [a, b])).toEqual(['A dead: silent ▸', '◂ acks, heartbeats']);
    });

    it("a live VM's buffer does not claim entries to send", () => {
      expect(bufferTitle({ ...vm('B', 'live'), buffer: [], bufferCapacity: 32 })).toBe('log buffer: not logging (no backup)');
      expect(bufferTitle({ ...vm('A', 'primary', 'B'), buffer: [1, 2], bufferCapacity: 32 })).toBe('log buffer (to send) 2/32');
    });
  });

  describe("who the Clients box says sent a request", () => {
    it('"you" only for the terminal\'s client, and not in the tour (whose chapters script client 1)', () => {
      expect(clientName(1, false)).toBe('you');
      expect(clientName(2, false)).toBe('client 2');
      expect(clientName(1, true)).toBe('client 1');
      expect(clientName(2, true)).toBe('client 2');
    });

    it('the fold keeps which client sent the last request and got the last reply', () => {
      const f = emptyFold();
      foldEvents(f, [ev({ type: 'client/invoke', client: 2, reqId: 1, text: 'INCR counter', t: 1 }), ev({ type: 'client/reply', client: 2, reqId: 1, text: 'VALUE 11', from: nid('B'), duplicate: false, contradicts: false, t: 2 })], { macOwner: 'B' });
      expect([f.lastRequestClient, f.lastReplyClient]).toEqual([2, 2]);
      expect(`${clientName(f.lastRequestClient, false)} sent ${f.lastRequest}`).toBe('client 2 sent #1 INCR counter');
      // Automatic clients (ids from 100) are drawn on the wire only.
      foldEvents(f, [ev({ type: 'client/invoke', client: 100, reqId: 1, text: 'GET k', t: 3 })], { macOwner: 'B' });
      expect(f.lastRequestClient).toBe(2);
    });
  });
});

describe('the Clients box text', () => {
  it('wraps a reply into lines that fit the box, and marks what it had to leave out', () => {
    expect(boxLines('#2 NOTFOUND (from A)', 3)).toEqual(['#2 NOTFOUND (fr', 'om A)']);
    expect(boxLines('—', 3)).toEqual(['—']);
    const long = 'x'.repeat(59);
    const lines = boxLines(long, 3);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.length <= 15)).toBe(true);
    expect(lines[2]!.endsWith('…')).toBe(true);
    expect(boxLines('#12 PUT key1 value', 1)).toEqual(['#12 PUT key1 v…']);
  });
});
