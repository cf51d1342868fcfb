import fc from 'fast-check';
import { deflateSync, gunzipSync, gzipSync, strFromU8, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { validateScenario } from '../sim/scenario';
import type { TimedAction } from './actions';
import {
  crc32,
  decodeRecording,
  decodeShareLink,
  encodeRecording,
  encodeShareLink,
  fromBase64Url,
  linkHasChecksum,
  MAX_ACTIONS,
  MAX_CLIENT_WIDE_ACTIONS,
  MAX_SESSION_MS,
  MAX_TOUR_LINK_MS,
  minimizeScenario,
  recordSession,
  RecordingError,
  replayRecording,
  toBase64Url,
  type Recording,
  type ShareLink,
} from './recording';
import { checkpointMismatch, SimSession } from './simSession';

const scenario = validateScenario({ program: 'kv-server', seed: 7, durationMs: 100_000 });

/** A session with a few actions, recorded the way the lab does: spec, actions, now, checkpoints, trace. */
function recorded(): { session: SimSession; rec: Recording } {
  const s = new SimSession({ scenario });
  s.runTo(2.5);
  s.act({ kind: 'request', client: 1, text: 'PUT x 1' });
  s.act({ kind: 'workload', count: 2, perSecond: 50 });
  s.runTo(60);
  s.act({ kind: 'kill-primary' });
  s.runTo(140);
  s.act({ kind: 'request', client: 1, text: 'GET x' });
  s.runTo(200);
  const rec: Recording = {
    format: 'lockstep-recording',
    version: 1,
    title: 'kill the primary',
    chapter: 'failover',
    spec: { scenario: s.spec.scenario, source: s.spec.source ?? null, noBackup: s.spec.noBackup ?? false },
    actions: [...s.actions],
    endMs: s.now,
    checkpoints: [...s.checkpoints],
    trace: [...s.trace],
  };
  return { session: s, rec };
}

const base = recorded();
const bytes = encodeRecording(base.rec);
/** The recording as plain JSON, for tests that edit it before decoding. */
const plain = (): Record<string, unknown> & { actions: Record<string, unknown>[] } => JSON.parse(JSON.stringify(base.rec));
const json = (v: unknown): Uint8Array => strToU8(JSON.stringify(v));

function rejection(input: Uint8Array, maxBytes?: number): string {
  try {
    decodeRecording(input, 'x.lockstep', maxBytes);
  } catch (err) {
    expect(err).toBeInstanceOf(RecordingError);
    return (err as Error).message;
  }
  throw new Error('decoded without complaint');
}

describe('recording files', () => {
  it('decode(encode(r)) is r, and recordSession builds the same recording', () => {
    expect(bytes[0]).toBe(0x1f);
    expect(bytes[1]).toBe(0x8b);
    expect(decodeRecording(bytes)).toEqual(base.rec);
    expect(recordSession(base.session, 'kill the primary', 'failover')).toEqual(base.rec);
    expect(encodeRecording(base.rec)).toEqual(bytes); // no clock in the gzip header
    expect(decodeRecording(json(base.rec))).toEqual(base.rec); // plain JSON is read too
  });

  it('the decoded recording replays to the same checkpoints, state and trace', () => {
    const r = decodeRecording(bytes);
    const replay = new SimSession(r.spec, r.actions);
    replay.runTo(r.endMs);
    expect(r.checkpoints.length).toBeGreaterThan(10);
    expect(checkpointMismatch(r.checkpoints, replay.checkpoints)).toBeNull();
    expect(replay.stateHashes()).toEqual(base.session.stateHashes());
    expect(replay.trace).toEqual(r.trace);
    expect(replayRecording(r).mismatch).toBeNull();
  });

  it('a tampered recording replays with a mismatch', () => {
    const dropped = { ...base.rec, actions: base.rec.actions.filter((a) => a.kind !== 'kill-primary') };
    expect(replayRecording(decodeRecording(encodeRecording(dropped))).mismatch).toMatch(/differs|missing/);
    const moved = { ...base.rec, actions: base.rec.actions.map((a): TimedAction => (a.kind === 'kill-primary' ? { ...a, at: a.at + 3 } : a)) };
    expect(replayRecording(decodeRecording(encodeRecording(moved))).mismatch).toMatch(/differs|missing/);
  });

  it('rejects malformed input with a specific message', () => {
    const noise = Uint8Array.from({ length: 300 }, (_, i) => (i * 73 + 11) % 256);
    expect(rejection(noise)).toMatch(/^x\.lockstep: not a Lockstep recording \(neither gzip nor JSON\)$/);
    expect(rejection(new Uint8Array())).toMatch(/empty/);
    // fflate notices most cuts itself; the CRC-32 and size trailer catch the rest.
    for (const cut of [0.1, 0.5, 0.9, 0.99]) {
      expect(rejection(bytes.subarray(0, Math.floor(bytes.length * cut)))).toMatch(/^x\.lockstep: the gzip data is (damaged or )?truncated/);
    }
    expect(rejection(bytes.subarray(0, bytes.length - 4))).toMatch(/damaged or truncated/);
    expect(rejection(bytes.subarray(0, 10))).toMatch(/truncated/);
    const flipped = bytes.slice();
    const mid = bytes.length >> 1;
    flipped[mid] = flipped[mid]! ^ 0x55;
    expect(rejection(flipped)).toMatch(/damaged/);
    expect(rejection(new Uint8Array([...bytes, ...bytes]))).toMatch(/several gzip members/);
    expect(rejection(gzipSync(strToU8('hello, world')))).toMatch(/the unpacked data is not JSON/);
    expect(rejection(json([1, 2]))).toMatch(/not a Lockstep recording \(the JSON is an array, not an object\)/);
    expect(rejection(json('x'))).toMatch(/the JSON is a string/);
    expect(rejection(json({ ...plain(), format: 'something-else' }))).toMatch(/not a Lockstep recording/);
    expect(rejection(gzipSync(json({ ...plain(), version: 2 })))).toBe('x.lockstep: made by a newer Lockstep: version 2, this page reads 1');
    expect(rejection(json({ ...plain(), version: 0 }))).toMatch(/^x\.lockstep: \$\.version: /);

    const badKind = plain();
    badKind.actions[1]!.kind = 'explode';
    expect(rejection(json(badKind))).toMatch(/^x\.lockstep: \$\.actions\[1\]\.kind: /);

    const unordered = plain();
    unordered.actions[3]!.at = 1;
    expect(rejection(json(unordered))).toMatch(/^x\.lockstep: \$\.actions\[3\]\.at: out of order: 1 ms comes after an action at 60 ms/);
    expect(rejection(json({ ...plain(), endMs: 100 }))).toMatch(/\$\.actions\[3\]\.at: 140 ms is after the end of the recording/);

    const { spec: _spec, ...noSpec } = plain();
    expect(rejection(json(noSpec))).toMatch(/^x\.lockstep: \$\.spec: /);
    expect(rejection(json({ ...plain(), trace: [{ type: 'heartbeat' }] }))).toMatch(/\$\.trace\[0\]\.t: /);
  });

  it('rejects a damaged column-wise trace with the path of the damage', () => {
    const file = (edit: (trace: Record<string, unknown[]>) => void): Uint8Array => {
      const unpacked = JSON.parse(strFromU8(gunzipSync(bytes)));
      edit(unpacked.trace);
      return gzipSync(json(unpacked));
    };
    expect(rejection(file((t) => (t.shape![5] = 999)))).toMatch(/\$\.trace\.shape\[5\]: no shape 999/);
    expect(rejection(file((t) => t.t!.pop()))).toMatch(/\$\.trace\.t: has/);
    expect(rejection(file((t) => (t.t![0] = null)))).toMatch(/\$\.trace\.t\[0\]/);
    expect(rejection(file((t) => (t.columns![0] = [])))).toMatch(/\$\.trace\.columns\[0\]: has 0 columns/);
    expect(rejection(file((t) => (t.shapes = 'x' as unknown as unknown[])))).toMatch(/\$\.trace\.shapes: /);
  });

  it('stops unpacking at the size cap, whatever the gzip trailer claims', () => {
    const zeros = new Uint8Array(1 << 20);
    const bomb = gzipSync(zeros);
    expect(bomb.length).toBeLessThan(4096);
    expect(rejection(bomb, 256 * 1024)).toBe('x.lockstep: unpacks to more than 256 KB, too large to be a recording');
    const lying = bomb.slice();
    lying.set([1, 0, 0, 0], lying.length - 4); // ISIZE says 1 byte
    expect(rejection(lying, 256 * 1024)).toMatch(/unpacks to more than/);
  });

  it('the default cap holds against a real bomb', () => {
    // 1.7 MB of gzip that would unpack to 300 MB of zeros (its trailer lies: 0 bytes).
    expect(rejection(zeroBomb(300 * 1024 * 1024))).toBe('x.lockstep: unpacks to more than 256 MB, too large to be a recording');
  });

  it('decoding arbitrary bytes only ever throws RecordingError', () => {
    const check = (input: Uint8Array): void => {
      try {
        const r = decodeRecording(input);
        expect(r.format).toBe('lockstep-recording');
      } catch (err) {
        if (!(err instanceof RecordingError)) throw err;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => check(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, ...b]))),
      { numRuns: 300 },
    );
    // Mutations of a real (small) file: flipped bytes, cuts and insertions, gzipped or plain.
    const small = recordedShort();
    const variants = [encodeRecording(small), json({ ...small, trace: packedTraceOf(small) })];
    const edit = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat(), value: fc.nat(64) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(edit, { minLength: 1, maxLength: 4 }), (which, edits) => {
        let b = Array.from(variants[which]!);
        for (const e of edits) {
          const at = e.at % (b.length + 1);
          if (e.op === 'set' && at < b.length) b[at] = e.value;
          else if (e.op === 'cut') b = [...b.slice(0, at), ...b.slice(at + e.value)];
          else if (e.op === 'insert') b = [...b.slice(0, at), e.value, ...b.slice(at)];
        }
        check(Uint8Array.from(b));
      }),
      { numRuns: 400 },
    );
    // Structural edits of the file's JSON: any value (or a deletion) anywhere, trace columns included.
    const packed = JSON.parse(strFromU8(gunzipSync(variants[0]!))) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      paths.push(path);
      if (Array.isArray(v)) v.slice(0, 6).forEach((x, i) => walk(x, [...path, i]));
      else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(packed, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths.slice(1)), fc.option(fc.jsonValue({ maxDepth: 3 })), (path, value) => {
        const copy = structuredClone(packed) as Record<string | number, unknown>;
        let at = copy;
        for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
        const last = path[path.length - 1]!;
        if (value === null) delete at[last];
        else at[last] = value;
        check(json(copy));
        check(gzipSync(json(copy)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('share links', () => {
  const link: ShareLink = { v: 1, chapter: 'failover', step: 3, spec: base.rec.spec, actions: base.rec.actions, at: 150.25 };

  it('round-trips, with defaulted scenario fields left out of the link', () => {
    const text = encodeShareLink(link);
    expect(text).toMatch(/^2\.[A-Za-z0-9_-]+$/);
    expect(linkHasChecksum(text)).toBe(true);
    expect(decodeShareLink(text)).toEqual(link);
    expect(decodeShareLink(`#run=${text}`)).toEqual(link);
    expect(minimizeScenario(scenario)).toEqual({ program: 'kv-server', seed: 7, durationMs: 100_000 });

    const busy = validateScenario({
      program: 'kv-server',
      durationMs: 2000,
      clients: { count: 3, keys: 3 },
      ft: { heartbeatMs: 5 },
      faults: [{ at: 500, kind: 'cut-channel' }],
    });
    expect(minimizeScenario(busy)).toEqual({
      program: 'kv-server',
      durationMs: 2000,
      clients: { count: 3, keys: 3 },
      ft: { heartbeatMs: 5 },
      faults: [{ at: 500, kind: 'cut-channel', direction: 'both' }],
    });
    const other: ShareLink = { v: 1, chapter: null, step: null, spec: { scenario: busy, source: 'halt\n', noBackup: true }, actions: [], at: 0 };
    expect(decodeShareLink(encodeShareLink(other))).toEqual(other);
  });

  it('rejects a damaged link', () => {
    const text = encodeShareLink(link);
    const damaged = (s: string): string => {
      try {
        decodeShareLink(s);
      } catch (err) {
        expect(err).toBeInstanceOf(RecordingError);
        return (err as Error).message;
      }
      throw new Error('decoded without complaint');
    };
    expect(damaged(text.slice(0, -12))).toMatch(/^this link is damaged: /);
    expect(damaged('')).toBe('this link is damaged: it is empty');
    expect(damaged(`${text.slice(0, 20)}!${text.slice(21)}`)).toMatch(/characters/);
    expect(damaged(toBase64Url(deflateSync(strToU8('[1]'))))).toMatch(/not a session/);
    expect(damaged(toBase64Url(deflateSync(strToU8('{')))))
      .toMatch(/not readable/);
    expect(damaged(toBase64Url(deflateSync(json({ ...link, v: 2 }))))).toMatch(/newer Lockstep/);
    expect(damaged(toBase64Url(deflateSync(json({ ...link, actions: [{ at: 1, kind: 'explode' }] }))))).toMatch(
      /^this link is damaged: \$\.actions\[0\]\.kind: /,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          decodeShareLink(s);
        } catch (err) {
          if (!(err instanceof RecordingError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...'AZaz09-_'), (at, c) => {
        const i = at % text.length;
        try {
          decodeShareLink(text.slice(0, i) + c + text.slice(i + 1));
        } catch (err) {
          if (!(err instanceof RecordingError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('base64url matches the standard encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const s = toBase64Url(b);
        expect(s).toBe(Buffer.from(b).toString('base64url'));
        expect(fromBase64Url(s)).toEqual(b);
      }),
    );
    expect(fromBase64Url('A')).toBeNull();
    expect(fromBase64Url('AB+C')).toBeNull();
    // Canonical: the unused low bits of a final partial group must be zero.
    expect(fromBase64Url('AQ', true)).toEqual(new Uint8Array([1]));
    expect(fromBase64Url('AR')).toEqual(new Uint8Array([1]));
    expect(fromBase64Url('AR', true)).toBeNull();
    expect(fromBase64Url('AQE', true)).toEqual(new Uint8Array([1, 1]));
    expect(fromBase64Url('AQF', true)).toBeNull();
  });
});

/** A format-2 link around any text (a valid checksum over whatever it holds). */
function v2(text: string | Uint8Array): string {
  const packed = deflateSync(typeof text === 'string' ? strToU8(text) : text);
  const out = new Uint8Array(packed.length + 4);
  out.set(packed);
  new DataView(out.buffer).setUint32(packed.length, crc32(packed));
  return `2.${toBase64Url(out)}`;
}

/** The message a refused link gets; fails the test if the link opens, or if anything but a RecordingError is thrown. */
function refusal(s: string): string {
  try {
    decodeShareLink(s);
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
    return err.message;
  }
  throw new Error(`opened: ${s.slice(0, 80)}`);
}

/** A link opens (and is what it says), or is refused with a RecordingError: nothing else. */
function openOrRefuse(s: string): void {
  try {
    const l = decodeShareLink(s);
    expect(l.v).toBe(1);
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err;
  }
}

describe('the front door: link checksum, bounds, program (property tests)', () => {
  const link: ShareLink = { v: 1, chapter: null, step: null, spec: base.rec.spec, actions: base.rec.actions, at: 150.25 };
  const text = encodeShareLink(link);
  const linkBytes = fromBase64Url(text.slice(2), true)!;

  it('an older link without a checksum still opens, and says so', () => {
    const old = toBase64Url(deflateSync(json(link)));
    expect(decodeShareLink(old)).toEqual(link);
    expect(linkHasChecksum(old)).toBe(false);
    expect(linkHasChecksum(`#run=${text}`)).toBe(true);
  });

  it('arbitrary strings, and arbitrary text after the format prefix: refused with a RecordingError, never thrown otherwise', () => {
    const b64 = fc.string({ unit: fc.constantFrom(...'ABCXYZabcxyz0189-_'), maxLength: 200 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), b64.map((s) => `2.${s}`), b64.map((s) => `#run=2.${s}`)), openOrRefuse),
      { numRuns: 600 },
    );
  });

  it('every truncation of a link is refused', () => {
    for (let n = 0; n < text.length; n++) expect(refusal(text.slice(0, n))).toMatch(/^this link is damaged: /);
  });

  it('property: a link with bits flipped in its bytes is refused (the checksum catches it)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (flips) => {
        const b = linkBytes.slice();
        const seen = new Set<number>();
        for (const f of flips) {
          const bit = f % (b.length * 8);
          if (seen.has(bit)) return; // two flips of one bit cancel: not a tampered link
          seen.add(bit);
          b[bit >> 3]! ^= 1 << (bit & 7);
        }
        expect(refusal(`2.${toBase64Url(b)}`)).toMatch(/^this link is damaged: /);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: a link with characters changed, inserted or deleted is refused', () => {
    const chars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'];
    const edit = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), c: fc.constantFrom(...chars) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), c: fc.constantFrom(...chars) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat(), c: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let s = text;
        for (const e of edits) {
          const i = e.at % (s.length + (e.op === 'insert' ? 1 : 0));
          if (e.op === 'set') s = s.slice(0, i) + e.c + s.slice(i + 1);
          else if (e.op === 'insert') s = s.slice(0, i) + e.c + s.slice(i);
          else s = s.slice(0, i) + s.slice(i + 1);
        }
        if (s === text) return;
        expect(refusal(s)).toMatch(/^this link is (damaged|from a newer)|^this link is damaged/);
      }),
      { numRuns: 1000 },
    );
  });

  it('a zero typed before the format number is refused, not read as the same format (found by the property above)', () => {
    expect(refusal(`0${text}`)).toBe('this link is damaged: it starts with an unknown format number (02)');
    expect(refusal(`#run=00${text}`)).toBe('this link is damaged: it starts with an unknown format number (002)');
  });

  it('a decompression bomb behind a valid checksum stops at the cap', () => {
    expect(refusal(v2(new Uint8Array(40 * 1024 * 1024)))).toBe('this link is damaged: it unpacks to more than 32 MB');
  });

  it('property: any JSON behind a valid checksum opens only if it is a valid session', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => openOrRefuse(v2(JSON.stringify(v)))),
      { numRuns: 300 },
    );
    // Any field of a real link replaced by any value.
    const body = JSON.parse(JSON.stringify(link)) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(body), 'spec.source', 'spec.scenario', 'actions.0', 'actions.0.at'), fc.jsonValue({ maxDepth: 2 }), (path, value) => {
        const copy = structuredClone(body) as Record<string, unknown>;
        const keys = path.split('.');
        let at = copy as Record<string, unknown>;
        for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
        at[keys[keys.length - 1]!] = value;
        openOrRefuse(v2(JSON.stringify(copy)));
      }),
      { numRuns: 300 },
    );
  });

  const withBody = (change: Record<string, unknown>): string => v2(JSON.stringify({ ...link, ...change }));

  it('bounds: the moment a link shows', () => {
    expect(refusal(withBody({ at: 1e300 }))).toBe('this link is damaged: $.at: longer than 4 virtual hours');
    expect(refusal(withBody({ at: MAX_SESSION_MS + 1 }))).toMatch(/\$\.at: longer than 4 virtual hours/);
    expect(decodeShareLink(withBody({ at: MAX_SESSION_MS })).at).toBe(MAX_SESSION_MS);
    expect(refusal(withBody({ at: 100 }))).toMatch(/\$\.actions\[3\]\.at: 140 ms is after the moment the link shows \(at 100\)/);
    expect(refusal(withBody({ at: -1 }))).toMatch(/\$\.at: /);
    // A tour link replays its chapter unsliced: it may reach only a virtual minute.
    expect(refusal(withBody({ chapter: 'failover', step: 2, at: MAX_TOUR_LINK_MS + 1 }))).toMatch(/a tour link reaches at most 60 virtual seconds/);
    expect(decodeShareLink(withBody({ chapter: 'failover', step: 2, at: MAX_TOUR_LINK_MS })).step).toBe(2);
  });

  it('bounds: the number of actions and of client-wide actions', () => {
    const many = (n: number, make: (i: number) => Record<string, unknown>) => Array.from({ length: n }, (_, i) => make(i));
    const heal = (i: number) => ({ at: i, kind: 'heal' });
    expect(decodeShareLink(withBody({ actions: many(MAX_ACTIONS, heal), at: MAX_ACTIONS })).actions).toHaveLength(MAX_ACTIONS);
    expect(refusal(withBody({ actions: many(MAX_ACTIONS + 1, heal), at: MAX_ACTIONS + 1 }))).toBe('this link is damaged: $.actions: more than 10,000 actions');
    const workload = (i: number) => ({ at: i, kind: 'workload', count: 64, perSecond: 20 });
    expect(decodeShareLink(withBody({ actions: many(MAX_CLIENT_WIDE_ACTIONS, workload), at: 5000 })).actions).toHaveLength(MAX_CLIENT_WIDE_ACTIONS);
    expect(refusal(withBody({ actions: many(MAX_CLIENT_WIDE_ACTIONS + 1, workload), at: 5000 }))).toBe(
      'this link is damaged: $.actions[1000]: more than 1,000 changes of the automatic clients and partitions from the clients',
    );
    const mixed = (i: number) => (i % 2 ? workload(i) : { at: i, kind: 'partition-clients', vm: 'primary' });
    expect(refusal(withBody({ actions: many(MAX_CLIENT_WIDE_ACTIONS + 1, mixed), at: 5000 }))).toMatch(/more than 1,000 changes/);
    expect(refusal(withBody({ actions: [{ ...workload(0), count: 65 }], at: 5000 }))).toMatch(/\$\.actions\[0\]\.count: /);
  });

  it('a link whose program does not assemble is refused with the assembler\'s words', () => {
    const spec = { ...link.spec, source: 'start:\n  li r1, <script>\n' };
    expect(refusal(encodeShareLink({ ...link, spec }))).toBe("this link cannot be opened: its program does not assemble (2:10: unexpected character '<')");
    const many = { ...link.spec, source: 'x\n'.repeat(500) };
    expect(refusal(encodeShareLink({ ...link, spec: many }))).toBe(
      "this link cannot be opened: its program does not assemble (1:1: unknown instruction 'x'; 2:1: unknown instruction 'x'; 3:1: unknown instruction 'x'; and 497 more errors)",
    );
    const deep = { ...link.spec, source: `X = ${'('.repeat(20_000)}1` };
    expect(refusal(encodeShareLink({ ...link, spec: deep }))).toMatch(/does not assemble \(1:261: expression nested too deeply \(limit 256\)\)/);
  });
});

describe('the front door: recording bounds', () => {
  it('endMs, actions and the program are bounded like a link\'s', () => {
    expect(rejection(json({ ...plain(), endMs: 1e300 }))).toBe('x.lockstep: $.endMs: longer than 4 virtual hours');
    expect(rejection(json({ ...plain(), endMs: 2e7, checkpoints: [] }))).toBe('x.lockstep: $.endMs: longer than 4 virtual hours');
    expect(rejection(json({ ...plain(), actions: [], endMs: MAX_SESSION_MS + 0.5, checkpoints: [] }))).toMatch(/\$\.endMs: longer than 4 virtual hours/);
    const workloads = Array.from({ length: MAX_CLIENT_WIDE_ACTIONS + 1 }, (_, i) => ({ at: i, kind: 'workload', count: 64, perSecond: 20 }));
    expect(rejection(json({ ...plain(), actions: workloads, endMs: 2000 }))).toMatch(/\$\.actions\[1000\]: more than 1,000 changes/);
    const heals = Array.from({ length: MAX_ACTIONS + 1 }, (_, i) => ({ at: i / 100, kind: 'heal' }));
    expect(rejection(json({ ...plain(), actions: heals }))).toBe('x.lockstep: $.actions: more than 10,000 actions');
    const r = plain();
    expect(rejection(json({ ...r, spec: { ...(r.spec as object), source: 'li r1, <\n' } }))).toBe(
      "x.lockstep: its program does not assemble (1:8: unexpected character '<')",
    );
  });
});

function recordedShort(): Recording {
  const s = new SimSession({ scenario });
  s.runTo(1);
  s.act({ kind: 'request', client: 1, text: 'PUT a 1' });
  s.runTo(12);
  return recordSession(s, 'short');
}

/** The column-wise trace exactly as the file stores it. */
function packedTraceOf(r: Recording): unknown {
  return JSON.parse(strFromU8(gunzipSync(encodeRecording(r)))).trace;
}

/** A gzip member that unpacks to `size` zeros: one fixed-Huffman block of a literal 0 and back-references of 258 bytes at distance 1. */
function zeroBomb(size: number): Uint8Array {
  const copies = Math.ceil((size - 1) / 258);
  const out = new Uint8Array(10 + Math.ceil((3 + 8 + copies * 13 + 7) / 8) + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  let bit = 10 * 8;
  const bits = (v: number, n: number): void => {
    for (let i = 0; i < n; i++, bit++) if ((v >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  const code = (v: number, n: number): void => {
    for (let i = n - 1; i >= 0; i--, bit++) if ((v >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7); // Huffman codes go most significant bit first
  };
  bits(1, 1); // last block
  bits(1, 2); // fixed Huffman
  code(0x30, 8); // literal 0
  for (let i = 0; i < copies; i++) {
    code(0xc0 + 5, 8); // length symbol 285: 258 bytes
    code(0, 5); // distance symbol 0: 1 byte back
  }
  code(0, 7); // end of block
  return out;
}
