// Messages with identity on real Web Workers: every message the page carries or the logging
// channel carries worker to worker is traced as net/sent, then net/delivered or net/dropped with
// the same id, and the learner can drop one in flight (the logging channel resends it as `id.r`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { labPages } from './browser';

interface NetEvent {
  type: string;
  id?: string;
  from?: string;
  msg?: string;
  link?: string;
  label?: string;
  why?: string;
  retransmit?: string;
  kind?: string;
  detail?: string;
}

interface Lab {
  trace: NetEvent[];
  net: { open: Map<string, NetEvent> };
  kind: string;
  setWorkload(count: number, thinkMs?: number): void;
  setLink(link: string, change: { latencyMs?: number }): void;
  pause(): void;
  resume(): void;
  dropMessage(id: string): Promise<boolean>;
}

/** Every net event so far, and which ids were sent before their outcome, exactly once. */
const netTrace = (page: Page): Promise<NetEvent[]> =>
  page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.trace.filter((e) => e.type.startsWith('net/') || (e.type === 'fault' && e.kind === 'drop-message')));

async function until<T>(page: Page, read: () => Promise<T>, pred: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!pred(v)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(100);
    v = await read();
  }
  return v;
}

/** Each id's outcomes, in trace order; throws if one comes before its net/sent. */
function outcomes(trace: readonly NetEvent[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of trace) {
    if (e.type === 'net/sent') {
      assert.ok(!m.has(e.id!), `${e.id} sent twice`);
      m.set(e.id!, []);
    } else if (e.type === 'net/delivered' || e.type === 'net/dropped') {
      const o = m.get(e.id!);
      assert.ok(o, `${e.id}: ${e.type} before its net/sent`);
      o.push(e.type === 'net/dropped' ? `dropped:${e.why}` : 'delivered');
    }
  }
  return m;
}

describe('messages with identity on Web Workers', () => {
  let page: Page;
  let errors: string[] = [];
  labPages((p, e) => {
    page = p;
    errors = e;
  });

  it('log entries, acks and client requests: each net/sent followed by its net/delivered, exactly once', async () => {
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.kind), 'workers');
    await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.setWorkload(2, 20));
    const kinds = (t: readonly NetEvent[]): Set<string> => {
      const o = outcomes(t);
      const done = new Set<string>();
      for (const e of t) {
        if (e.type !== 'net/sent' || o.get(e.id!)?.[0] !== 'delivered') continue;
        if (e.link === 'channel' && e.msg === 'log' && /^#\d/.test(e.label!)) done.add('log entries');
        if (e.link === 'channel' && e.msg === 'ack') done.add('ack');
        if (e.msg === 'frame' && e.from!.startsWith('client-')) done.add('request');
        if (e.msg === 'frame' && !e.from!.startsWith('client-')) done.add('reply');
      }
      return done;
    };
    const trace = await until(page, () => netTrace(page), (t) => kinds(t).size === 4, 'delivered log entries, acks, requests and replies');
    for (const [id, o] of outcomes(trace)) assert.ok(o.length <= 1, `${id}: ${o.join(', ')}`);
    assert.deepEqual(errors, []);
  });

  it('dropMessage on a logging-channel message in flight: net/dropped, then its resend `.r` delivered', async () => {
    // A slower channel keeps a message or two on it at any instant; paused, they stay there.
    await page.evaluate(() => {
      const lab = (globalThis as unknown as { __lab: Lab }).__lab;
      lab.setLink('channel', { latencyMs: 5 });
      lab.setWorkload(1, 20);
    });
    await until(page, () => netTrace(page), (t) => t.filter((e) => e.type === 'net/delivered').length > 50, 'traffic on the slow channel');
    await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.pause());
    // Once the paused workers' last trace batches are in, what the ledger holds open is on the wire.
    const dropped = await until(
      page,
      () =>
        page.evaluate(async () => {
          const lab = (globalThis as unknown as { __lab: Lab }).__lab;
          for (const [id, s] of lab.net.open) if (s.link === 'channel' && (await lab.dropMessage(id))) return id;
          return null;
        }),
      (id) => id !== null,
      'a logging-channel message to drop',
    );
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.dropMessage('nobody#1')), false);
    await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.resume());
    const resent = `${dropped!}.r`;
    const trace = await until(page, () => netTrace(page), (t) => t.some((e) => e.type === 'net/delivered' && e.id === resent), `${resent} delivered`);
    const o = outcomes(trace);
    assert.deepEqual(o.get(dropped!), ['dropped:learner']);
    assert.deepEqual(o.get(resent), ['delivered']);
    const again = trace.find((e) => e.type === 'net/sent' && e.id === resent)!;
    assert.equal(again.retransmit, dropped);
    assert.equal(again.link, 'channel');
    assert.ok(trace.some((e) => e.type === 'fault' && e.detail === `dropped message ${dropped!} on the wire`));
    assert.ok(trace.some((e) => e.type === 'fault' && e.detail === 'no effect'));
    // The pair is still in lockstep: the resend filled the gap (no divergence, the checkers hold).
    const v = await page.evaluate(() => {
      const lab = (globalThis as unknown as { __lab: { verdicts(): { replay: { ok: boolean }; outputRequirement: { ok: boolean | 'unknown' } }; trace: NetEvent[] } }).__lab;
      return { replay: lab.verdicts().replay.ok, or: lab.verdicts().outputRequirement.ok, diverged: lab.trace.some((e) => e.type === 'divergence') };
    });
    assert.deepEqual(v, { replay: true, or: v.or === 'unknown' ? 'unknown' : true, diverged: false });
    assert.deepEqual(errors, []);
  });

  it('a killed primary leaves nothing open: what the logging channel carried to or from it is settled', async () => {
    await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.setWorkload(2, 20));
    await until(page, () => netTrace(page), (t) => t.filter((e) => e.type === 'net/delivered').length > 200, 'traffic');
    await page.evaluate(() => (globalThis as unknown as { __lab: { kill(r: string): unknown } }).__lab.kill('primary'));
    const roles = (): Promise<[string, string][]> => page.evaluate(() => [...(globalThis as unknown as { __lab: { roles: Map<string, string> } }).__lab.roles]);
    await until(page, roles, (r) => r.some(([id, role]) => id === 'B' && role === 'live'), 'B live');
    await page.evaluate(() => (globalThis as unknown as { __lab: Lab }).__lab.pause());
    // Paused, once the last batches are in, only what is really on the wire stays open (none of it A's channel traffic).
    const open = await until(
      page,
      () => page.evaluate(() => [...(globalThis as unknown as { __lab: Lab }).__lab.net.open.values()].map((s) => `${s.id} ${s.link}`)),
      (o) => o.length < 20 && !o.some((x) => / channel$/.test(x)),
      'only a few messages open, none on the dead channel',
    );
    assert.ok(open.length < 20, open.join(', '));
    const trace = await netTrace(page);
    for (const [id, o] of outcomes(trace)) assert.ok(o.length <= 1, `${id}: ${o.join(', ')}`);
    const lost = trace.filter((e) => e.type === 'net/dropped' && e.why === 'dead');
    assert.ok(lost.length > 0, 'some message was lost with A');
    assert.deepEqual(errors, []);
  });

  it('messages the page carries: a client request dropped is lost, a storage message dropped is resent', async () => {
    // Slow client and storage links keep requests and disk I/O on the wire long enough to catch.
    await page.evaluate(() => {
      const lab = (globalThis as unknown as { __lab: Lab }).__lab;
      lab.setLink('clients', { latencyMs: 20 });
      lab.setLink('storage', { latencyMs: 20 });
      lab.setWorkload(3, 10);
    });
    /** Pause, and drop one message in flight that `want` picks (by its net/sent), if there is one; resume. */
    const tryDrop = (want: 'request' | 'storage'): Promise<string | null> =>
      page.evaluate(async (want) => {
        const lab = (globalThis as unknown as { __lab: Lab }).__lab;
        lab.pause();
        // Paused, the page's own trace is complete: a net/sent with no outcome yet is on the wire.
        const settled = new Set(lab.trace.flatMap((e) => (e.type === 'net/delivered' || e.type === 'net/dropped' ? [e.id!] : [])));
        const open = lab.trace.filter((e) => e.type === 'net/sent' && !settled.has(e.id!) && (want === 'request' ? e.label === 'request' : e.link === 'storage'));
        let hit: string | null = null;
        for (const e of open) if (await lab.dropMessage(e.id!)) {
          hit = e.id!;
          break;
        }
        lab.resume();
        return hit;
      }, want);
    const request = await until(page, () => tryDrop('request'), (id) => id !== null, 'a client request to drop');
    const disk = await until(page, () => tryDrop('storage'), (id) => id !== null, 'a storage message to drop');
    const trace = await until(page, () => netTrace(page), (t) => t.some((e) => e.type === 'net/delivered' && e.id === `${disk!}.r`), `${disk!}.r delivered`);
    const o = outcomes(trace);
    assert.deepEqual(o.get(request!), ['dropped:learner']);
    assert.ok(!o.has(`${request!}.r`), 'a client link does not resend');
    assert.deepEqual(o.get(disk!), ['dropped:learner']);
    assert.deepEqual(o.get(`${disk!}.r`), ['delivered']);
    assert.deepEqual(errors, []);
  });
});
