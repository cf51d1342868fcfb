import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../engine/ft/trace';
import { along, route } from './layout';
import { CLIENTS, STORAGE, emptyFold, foldEvents, silence } from './stageModel';

const ev = (e: TraceEvent): TraceEvent => e;
const peers = { macOwner: 'A', peerOf: (id: string) => (id === 'A' ? 'B' : id === 'B' ? 'A' : null) };

describe('the stage model', () => {
  it('turns a flush into one coloured message per entry, and the backup’s receipt into an ack', () => {
    const f = emptyFold();
    const out = foldEvents(
      f,
      [
        ev({ type: 'entry/appended', vm: 'A', seq: 1, icount: 10, kind: 'timer', t: 1 }),
        ev({ type: 'entry/appended', vm: 'A', seq: 2, icount: 12, kind: 'nondet', t: 1 }),
        ev({ type: 'entry/flushed', vm: 'A', fromSeq: 1, toSeq: 2, bytes: 40, horizon: 12, t: 1 }),
        ev({ type: 'entry/received', vm: 'B', fromSeq: 1, toSeq: 2, buffered: 2, t: 1.5 }),
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
      [ev({ type: 'heartbeat', vm: 'A', to: 'B', t: 6 }), ev({ type: 'heartbeat', vm: 'B', to: 'A', t: 6 })],
      peers,
    );
    expect(out.map((m) => m.drop)).toEqual([true, false]);
    expect(out[0]!.label).toMatch(/^dropped heartbeat/);
    foldEvents(f, [ev({ type: 'fault', kind: 'heal', detail: 'healed every cut and partition', t: 7 }), ev({ type: 'vm/role', vm: 'B', role: 'dead', reason: 'killed', t: 7 })], peers);
    expect(foldEvents(f, [ev({ type: 'heartbeat', vm: 'A', to: 'B', t: 8 })], peers)[0]!.drop).toBe(true);
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
        ev({ type: 'tas/requested', vm: 'B', t: 1 }),
        ev({ type: 'tas/won', vm: 'B', t: 2 }),
        ev({ type: 'mac/advertised', vm: 'B', t: 3 }),
        ev({ type: 'output/released', vm: 'B', seq: 4, output: 'disk-write', to: 'storage', role: 'live', delayMs: 0, ackedSeq: 0, t: 4 }),
        ev({ type: 'storage/disk', op: 'read', block: 0, from: 'B', digest: null, refused: null, t: 5 }),
      ],
      peers,
    );
    expect(out.map((m) => `${m.kind}:${m.from}>${m.to}`)).toEqual(['tas-request:B>storage', 'tas-answer:storage>B', 'mac:B>switch', 'disk-write:B>storage', 'disk-read:storage>B']);
    expect(out[1]!.label).toBe('test-and-set answer: B won');
  });

  it('counts each VM’s silence from the last time it heard its peer', () => {
    const f = emptyFold();
    foldEvents(f, [ev({ type: 'vm/role', vm: 'B', role: 'backup', reason: 'started', t: 0 }), ev({ type: 'entry/received', vm: 'B', fromSeq: 1, toSeq: 1, buffered: 1, t: 20 })], peers);
    expect(silence(f, 'B', 50, 60)).toEqual({ silentMs: 30, fraction: 0.5 });
    expect(silence(f, 'B', 200, 60).fraction).toBe(1);
  });

  it('keeps the last console line, across writes that split a line', () => {
    const f = emptyFold();
    foldEvents(f, [ev({ type: 'console', vm: 'A', text: 'kv-server: recovered 0 records\nkv-', suppressed: false, t: 1 }), ev({ type: 'console', vm: 'A', text: 'server ready\n', suppressed: false, t: 2 })], peers);
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
});
