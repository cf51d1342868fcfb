import { describe, it, expect } from 'vitest';
import { DISK_BLOCKS, DISK_BLOCK_SIZE, STACK_TOP } from '../machine/isa';
import { Rng } from '../util/rng';
import { decodeFrame, encodeFrame } from './protocol';
import { Guest, blockText, writeBlock, type GuestOptions } from './testing';

function bootKv(opts: GuestOptions = {}): Guest {
  const g = new Guest('kv-server', opts);
  g.runUntilConsole('kv-server ready\n');
  return g;
}

/** Number of leading non-empty blocks: the records the server has logged. */
function loggedRecords(g: Guest): number {
  let n = 0;
  while (n < DISK_BLOCKS && g.bm.disk[n * DISK_BLOCK_SIZE] !== 0) n++;
  return n;
}

describe('kv-server', () => {
  it('boots on an empty disk, then serves PUT and GET with one console line per request', () => {
    const g = bootKv();
    expect(g.console).toBe('kv-server: recovered 0 records\nkv-server ready\n');
    expect(g.request('PUT x 5', 1, 7)).toBe('OK');
    expect(g.request('GET x', 2, 1)).toBe('VALUE 5');
    expect(g.request('PUT x hello-world', 1, 8)).toBe('OK');
    expect(g.request('GET x', 1, 9)).toBe('VALUE hello-world');
    expect(g.request('GET nope')).toBe('NOTFOUND');
    expect(g.lines().slice(2)).toEqual([
      'c1#7 PUT x 5 -> OK',
      'c2#1 GET x -> VALUE 5',
      'c1#8 PUT x hello-world -> OK',
      'c1#9 GET x -> VALUE hello-world',
      'c1#1 GET nope -> NOTFOUND',
    ]);
  });

  it('echoes the client id and request id (u16, little-endian) in the reply header', () => {
    const g = bootKv();
    const reply = g.requestFrame(encodeFrame(0xbeef, 0x1234, 'GET k'));
    expect(reply).toEqual({ client: 0xbeef, reqId: 0x1234, text: 'NOTFOUND' });
    const raw = g.bm.sent[g.bm.sent.length - 1]!;
    expect(Array.from(raw.subarray(0, 4))).toEqual([0xef, 0xbe, 0x34, 0x12]);
    expect(raw.length).toBe(4 + 'NOTFOUND'.length);
    expect(g.lines().at(-1)).toBe('c48879#4660 GET k -> NOTFOUND');
  });

  it('DEL removes a key: DELETED once, then NOTFOUND for DEL and GET', () => {
    const g = bootKv();
    expect(g.request('DEL k')).toBe('NOTFOUND');
    expect(g.request('PUT k v')).toBe('OK');
    expect(g.request('DEL k')).toBe('DELETED');
    expect(g.request('GET k')).toBe('NOTFOUND');
    expect(g.request('DEL k')).toBe('NOTFOUND');
    expect(g.request('PUT k w')).toBe('OK');
    expect(g.request('GET k')).toBe('VALUE w');
  });

  it('INCR counts from 0, increments unsigned decimals mod 2^32 and rejects anything else', () => {
    const g = bootKv();
    expect(g.request('INCR n')).toBe('VALUE 1');
    expect(g.request('INCR n')).toBe('VALUE 2');
    expect(g.request('GET n')).toBe('VALUE 2');
    expect(g.request('PUT n 0041')).toBe('OK');
    expect(g.request('INCR n')).toBe('VALUE 42');
    expect(g.request('GET n')).toBe('VALUE 42');
    expect(g.request('PUT w 4294967295')).toBe('OK');
    expect(g.request('INCR w')).toBe('VALUE 0');
    expect(g.request('PUT s abc')).toBe('OK');
    expect(g.request('INCR s')).toBe('ERR not an integer');
    expect(g.request('GET s')).toBe('VALUE abc'); // unchanged
    expect(g.request('PUT m -1')).toBe('OK');
    expect(g.request('INCR m')).toBe('ERR not an integer');
    expect(g.request('PUT m 12x')).toBe('OK');
    expect(g.request('INCR m')).toBe('ERR not an integer');
    // More than 32 bits of digits are read mod 2^32, like the arithmetic.
    expect(g.request('PUT big 99999999999')).toBe('OK');
    expect(g.request('INCR big')).toBe(`VALUE ${(99999999999 % 2 ** 32) + 1}`);
  });

  it('answers malformed requests with ERR and a short reason', () => {
    const g = bootKv();
    const cases: [string, string][] = [
      ['', 'ERR bad request'],
      [' ', 'ERR bad request'],
      ['GET  x', 'ERR bad request'],
      [' GET x', 'ERR bad request'],
      ['GET x ', 'ERR bad request'],
      ['GET x\n', 'ERR bad request'],
      ['GET\tx', 'ERR bad request'],
      ['GET x\u00e9', 'ERR bad request'],
      ['PUT k \u0000', 'ERR bad request'],
      ['get x', 'ERR unknown command'],
      ['FETCH x', 'ERR unknown command'],
      ['PUTX k v', 'ERR unknown command'],
      ['PU k v', 'ERR unknown command'],
      ['GET', 'ERR wrong arguments'],
      ['GET a b', 'ERR wrong arguments'],
      ['PUT', 'ERR wrong arguments'],
      ['PUT k', 'ERR wrong arguments'],
      ['PUT k v extra', 'ERR wrong arguments'],
      ['PUT a b c d e f', 'ERR wrong arguments'],
      ['INCR', 'ERR wrong arguments'],
      ['INCR a 1', 'ERR wrong arguments'],
      ['DEL', 'ERR wrong arguments'],
      ['DEL a b', 'ERR wrong arguments'],
      [`PUT ${'k'.repeat(17)} v`, 'ERR key too long'],
      [`GET ${'k'.repeat(17)}`, 'ERR key too long'],
      [`INCR ${'k'.repeat(17)}`, 'ERR key too long'],
      [`DEL ${'k'.repeat(17)}`, 'ERR key too long'],
      [`PUT k ${'v'.repeat(25)}`, 'ERR value too long'],
      [`PUT ${'k'.repeat(20)} ${'v'.repeat(34)}`, 'ERR key too long'], // a 63-byte frame is parsed
      [`PUT ${'k'.repeat(20)} ${'v'.repeat(35)}`, 'ERR request too long'], // a 64-byte frame fills the buffer
      ['x'.repeat(200), 'ERR request too long'],
    ];
    for (const [text, want] of cases) expect([text, g.request(text)]).toEqual([text, want]);
    // None of them wrote to the disk or changed the table.
    expect(loggedRecords(g)).toBe(0);
    expect(g.request('GET k')).toBe('NOTFOUND');
    // The limits themselves are accepted.
    const key = 'K'.repeat(16);
    const value = '~'.repeat(24);
    expect(g.request(`PUT ${key} ${value}`)).toBe('OK');
    expect(g.request(`GET ${key}`)).toBe(`VALUE ${value}`);
    // The longest valid request is well below the 64-byte receive buffer.
    expect(4 + `PUT ${key} ${value}`.length).toBeLessThan(64);
    // Bytes that are not printable are shown as '?' on the console.
    expect(g.console).toContain('GET x? -> ERR bad request');
  });

  it('drops frames shorter than the header (nothing to reply to) and keeps serving', () => {
    const g = bootKv();
    const before = g.bm.sent.length;
    g.sendRaw(new Uint8Array([1, 0]));
    g.run(20);
    expect(g.bm.sent.length).toBe(before);
    expect(g.console).toContain('short frame (2 bytes) dropped\n');
    expect(g.request('PUT a 1')).toBe('OK');
    // A header with no text is an empty (malformed) request.
    expect(g.requestFrame(new Uint8Array([9, 0, 3, 0])).text).toBe('ERR bad request');
  });

  it('holds 64 keys: a 65th is refused until one is deleted', () => {
    const g = bootKv();
    for (let i = 0; i < 64; i++) expect(g.request(`PUT key${i} ${i}`)).toBe('OK');
    expect(g.request('PUT key64 x')).toBe('ERR table full');
    expect(g.request('INCR fresh')).toBe('ERR table full');
    expect(g.request('GET key64')).toBe('NOTFOUND');
    expect(g.request('PUT key7 seven')).toBe('OK'); // overwriting needs no room
    expect(g.request('INCR key8')).toBe('VALUE 9');
    expect(g.request('DEL key0')).toBe('DELETED');
    expect(g.request('PUT key64 x')).toBe('OK');
    expect(g.request('PUT key65 y')).toBe('ERR table full');
    for (let i = 1; i < 64; i++) {
      const want = i === 7 ? 'seven' : i === 8 ? '9' : String(i);
      expect(g.request(`GET key${i}`)).toBe(`VALUE ${want}`);
    }
    expect(g.request('GET key64')).toBe('VALUE x');
    expect(g.request('GET key0')).toBe('NOTFOUND');
    // 64 PUTs + key7 + key8 + DEL + key64; the refused ones wrote nothing.
    expect(loggedRecords(g)).toBe(68);
  });

  it('logs every successful write as one NUL-padded record block, and nothing else', () => {
    const g = bootKv();
    g.request('PUT a 1');
    g.request('GET a');
    g.request('INCR a');
    g.request('INCR c');
    g.request('DEL zz'); // not found: no record
    g.request('DEL a');
    g.request('PUT a bad');
    g.request('INCR a'); // not an integer: no record
    g.request('BOGUS');
    const want = ['PUT a 1', 'PUT a 2', 'PUT c 1', 'DEL a', 'PUT a bad'];
    expect(loggedRecords(g)).toBe(want.length);
    want.forEach((text, i) => expect(blockText(g.bm.disk, i)).toBe(text));
    // NUL-padded: every byte after the text is zero.
    const block1 = g.bm.disk.subarray(DISK_BLOCK_SIZE, 2 * DISK_BLOCK_SIZE);
    expect(Array.from(block1.subarray(7)).every((b) => b === 0)).toBe(true);
  });

  it('writes the record to disk before it sends the reply', () => {
    const g = bootKv({ diskLatencyMs: 25 });
    const writes: [string, number, string][] = [
      ['PUT a 1', 0, 'PUT a 1'],
      ['INCR a', 1, 'PUT a 2'],
      ['PUT b hello', 2, 'PUT b hello'],
      ['DEL a', 3, 'DEL a'],
      ['INCR a', 4, 'PUT a 1'],
    ];
    let seenAtSend: { block: string; now: number; console: string } | null = null;
    let watching = 0;
    g.bm.onSend = () => {
      seenAtSend = { block: blockText(g.bm.disk, watching), now: g.bm.now, console: g.console };
    };
    for (const [req, block, record] of writes) {
      watching = block;
      expect(blockText(g.bm.disk, block)).toBe('');
      const t0 = g.bm.now;
      const reply = g.request(req);
      expect(reply).not.toMatch(/^ERR/);
      expect(seenAtSend).not.toBeNull();
      const s = seenAtSend!;
      expect(s.block).toBe(record); // on disk when the reply left
      expect(s.now - t0).toBeGreaterThanOrEqual(25); // the reply waited for the disk
      expect(s.console.endsWith(`${req} -> ${reply}\n`)).toBe(true); // logged before sending
      seenAtSend = null;
    }
    // A read needs no disk: its reply does not wait.
    const t0 = g.bm.now;
    expect(g.request('GET b')).toBe('VALUE hello');
    expect(g.bm.now - t0).toBeLessThan(5);
  });

  it('answers ERR disk error when a log write fails, and changes nothing', () => {
    const g = bootKv();
    expect(g.request('PUT a 1')).toBe('OK');
    const m = g.bm.machine;
    const inject = m.inject.bind(m);
    m.inject = (input) => inject(input.kind === 'disk' ? { kind: 'disk', ok: false } : input);
    expect(g.request('PUT a 2')).toBe('ERR disk error');
    expect(g.request('INCR a')).toBe('ERR disk error');
    expect(g.request('DEL a')).toBe('ERR disk error');
    expect(g.request('GET a')).toBe('VALUE 1');
    m.inject = inject;
    expect(g.request('PUT a 7')).toBe('OK');
    expect(blockText(g.bm.disk, 1)).toBe('PUT a 7'); // the failed writes did not use up blocks
    expect(blockText(g.bm.disk, 2)).toBe('');
    expect(g.request('INCR a')).toBe('VALUE 8');
  });

  it('recovers its state from the disk after a restart and keeps appending after it', () => {
    const g1 = bootKv();
    g1.request('PUT a 1');
    g1.request('PUT b 2');
    g1.request('INCR c');
    g1.request('INCR c');
    g1.request('DEL b');
    g1.request('PUT a 10');
    g1.request('PUT d four');
    const disk = g1.bm.disk.slice();

    const g2 = bootKv({ disk });
    expect(g2.console).toBe('kv-server: recovered 7 records\nkv-server ready\n');
    expect(g2.request('GET a')).toBe('VALUE 10');
    expect(g2.request('GET b')).toBe('NOTFOUND');
    expect(g2.request('GET c')).toBe('VALUE 2');
    expect(g2.request('GET d')).toBe('VALUE four');
    expect(g2.request('INCR c')).toBe('VALUE 3');
    expect(blockText(g2.bm.disk, 6)).toBe('PUT d four'); // old records untouched
    expect(blockText(g2.bm.disk, 7)).toBe('PUT c 3'); // appended after them
    // The recovery itself wrote nothing and replied to nobody.
    expect(g2.bm.sent.map((f) => decodeFrame(f)!.text)).toEqual(['VALUE 10', 'NOTFOUND', 'VALUE 2', 'VALUE four', 'VALUE 3']);

    const g3 = bootKv({ disk: g2.bm.disk });
    expect(g3.console).toContain('kv-server: recovered 8 records\n');
    expect(g3.request('GET c')).toBe('VALUE 3');
    expect(g3.request('DEL d')).toBe('DELETED');
    const g4 = bootKv({ disk: g3.bm.disk });
    expect(g4.request('GET d')).toBe('NOTFOUND');
    expect(g4.request('GET a')).toBe('VALUE 10');
  });

  it('replays a hand-made log up to the first empty block, ignoring records it cannot parse', () => {
    const disk = new Uint8Array(DISK_BLOCKS * DISK_BLOCK_SIZE);
    writeBlock(disk, 0, 'PUT a 1');
    writeBlock(disk, 1, 'PUT b 2');
    writeBlock(disk, 2, 'garbage record');
    writeBlock(disk, 3, 'PUT a 3');
    writeBlock(disk, 4, 'DEL b');
    writeBlock(disk, 5, 'PUT a 3'); // replaying a PUT twice is harmless
    writeBlock(disk, 6, 'x'.repeat(DISK_BLOCK_SIZE)); // a full block with no NUL at all
    // block 7 is empty: the end of the log
    writeBlock(disk, 8, 'PUT late 1');
    const g = bootKv({ disk });
    expect(g.console).toContain('kv-server: recovered 7 records\n');
    expect(g.request('GET a')).toBe('VALUE 3');
    expect(g.request('GET b')).toBe('NOTFOUND');
    expect(g.request('GET late')).toBe('NOTFOUND');
    expect(g.request('PUT e 5')).toBe('OK');
    expect(blockText(g.bm.disk, 7)).toBe('PUT e 5');
  });

  it('counts timer ticks (10 ms period) and sleeps in wfi when idle', () => {
    const g = bootKv();
    const ticks0 = g.word('kv_ticks');
    const ic0 = g.bm.machine.icount;
    g.run(1_000);
    expect(g.word('kv_ticks') - ticks0).toBe(100);
    // 100 ticks at a handful of instructions each: idle means wfi, not a busy loop.
    expect(g.bm.machine.icount - ic0).toBeLessThan(2_000);
    expect(g.bm.machine.status).toBe('idle');
  });

  it('costs a bounded number of guest instructions per GET and PUT', () => {
    const g = bootKv();
    for (let i = 0; i < 20; i++) g.request(`PUT key${i} value${i}`);
    let atSend = 0;
    g.bm.onSend = () => {
      atSend = g.bm.machine.icount;
    };
    const cost = (text: string): number => {
      const ic0 = g.bm.machine.icount;
      g.request(text);
      return atSend - ic0;
    };
    const get = cost('GET key10');
    const put = cost('PUT key10 other');
    expect(get).toBeGreaterThan(100);
    expect(get).toBeLessThan(2_500);
    expect(put).toBeGreaterThan(get);
    expect(put).toBeLessThan(4_000);
  });

  it('keeps serving correctly under a long mixed load (and the log wraps around the disk)', () => {
    const g = bootKv();
    const rng = new Rng(2024);
    const model = new Map<string, string>();
    let writes = 0;
    let lastRecord = '';
    for (let i = 0; i < 2_000; i++) {
      const key = `k${rng.int(0, 39)}`;
      const r = rng.next();
      let text: string;
      let want: string;
      if (r < 0.3) {
        const value = rng.chance(0.8) ? String(rng.int(0, 1000)) : `v${rng.int(0, 99)}`;
        text = `PUT ${key} ${value}`;
        want = 'OK';
        model.set(key, value);
        lastRecord = text;
        writes++;
      } else if (r < 0.6) {
        text = `GET ${key}`;
        const v = model.get(key);
        want = v === undefined ? 'NOTFOUND' : `VALUE ${v}`;
      } else if (r < 0.9) {
        text = `INCR ${key}`;
        const v = model.get(key) ?? '0';
        if (/^[0-9]+$/.test(v)) {
          const n = String((BigInt(v) + 1n) % 2n ** 32n);
          model.set(key, n);
          want = `VALUE ${n}`;
          lastRecord = `PUT ${key} ${n}`;
          writes++;
        } else want = 'ERR not an integer';
      } else {
        text = `DEL ${key}`;
        want = model.delete(key) ? 'DELETED' : 'NOTFOUND';
        if (want === 'DELETED') {
          lastRecord = text;
          writes++;
        }
      }
      const client = 1 + (i % 5);
      const reqId = (i * 7) & 0xffff;
      const got = g.request(text, client, reqId);
      if (got !== want) expect(`${i}: ${text} -> ${got}`).toBe(`${i}: ${text} -> ${want}`);
    }
    expect(writes).toBeGreaterThan(DISK_BLOCKS); // the log wrapped
    expect(blockText(g.bm.disk, (writes - 1) % DISK_BLOCKS)).toBe(lastRecord);
    expect(g.lines()).toHaveLength(2 + 2_000);
    // Idle again with the stack exactly where it was: nothing leaked.
    expect(g.bm.machine.status).toBe('idle');
    expect(g.bm.machine.regs[15]).toBe(STACK_TOP);
  });
});
