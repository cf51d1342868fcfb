// The page's side of the simulator: its mirror follows the worker side's batches, a command's
// effect is in the mirror when it resolves, and a replaced lab's calls are ignored. (The worker
// side runs in this thread here: the same code, without the thread.)
import { afterEach, describe, expect, it } from 'vitest';
import { validateScenario } from '../engine/sim/scenario';
import type { SimLabEvent } from './labController';
import { inThreadHost, SimLabClient } from './simLabClient';
import { SimWorkerApi } from './simWorkerApi';

const spec = { scenario: validateScenario({ program: 'kv-server', seed: 3, durationMs: 100_000 }) };

describe('SimLabClient', () => {
  const labs: SimLabClient[] = [];
  afterEach(() => labs.splice(0).forEach((l) => l.dispose()));

  it('a command resolves with its effect already in the mirror; frames bring the trace', async () => {
    const host = inThreadHost(new SimWorkerApi());
    const l = new SimLabClient({ spec, paused: true }, host);
    labs.push(l);
    const seen: number[] = [];
    l.onTrace((evs) => seen.push(evs.length));
    await l.ready;
    expect(l.state.paused).toBe(true);
    await l.seek(30);
    expect(l.virtualNow).toBe(30);
    expect(l.state.seeking).toBeNull();
    expect(l.trace.length).toBeGreaterThan(0);
    expect(await l.act({ kind: 'kill-backup' })).toBe(true);
    expect(l.state.actions.map((a) => a.kind)).toEqual(['kill-backup']);
    expect(l.state.actions[0]!.at).toBe(30);
    await l.seek(60);
    const vms = await l.inspect();
    expect(vms.length).toBeGreaterThan(0);
    expect(l.roles.size).toBe(vms.length);
    expect(l.verdicts()).toBeDefined();
    expect(seen.reduce((a, b) => a + b, 0)).toBe(l.trace.length);
    // A seek backwards replays from the start: the mirror's trace is reset, not appended to.
    const before = l.trace.length;
    await l.seek(10);
    expect(l.virtualNow).toBe(10);
    expect(l.trace.length).toBeLessThan(before);
    expect(l.trace.every((ev) => ev.t <= 10)).toBe(true);
  });

  it('dropMessage is the drop-message action: recorded, traced, and false once the message has arrived', async () => {
    const host = inThreadHost(new SimWorkerApi());
    const l = new SimLabClient({ spec, paused: true }, host);
    labs.push(l);
    await l.ready;
    await l.seek(40);
    const settled = new Set(l.trace.flatMap((e) => (e.type === 'net/delivered' || e.type === 'net/dropped' ? [e.id] : [])));
    const inFlight = l.trace.find((e) => e.type === 'net/sent' && e.link === 'channel' && !settled.has(e.id));
    expect(inFlight).toBeDefined();
    const id = (inFlight as { id: string }).id;
    expect(await l.dropMessage(id)).toBe(true);
    expect(await l.dropMessage(id)).toBe(false);
    expect(l.state.actions.map((a) => a.kind)).toEqual(['drop-message', 'drop-message']);
    expect(l.trace.some((e) => e.type === 'net/dropped' && e.id === id && e.why === 'learner')).toBe(true);
    expect(l.trace.some((e) => e.type === 'fault' && e.kind === 'drop-message' && e.detail === `dropped message ${id} on the wire`)).toBe(true);
    await l.seek(60);
    expect(l.trace.some((e) => e.type === 'net/delivered' && e.id === `${id}.r`)).toBe(true);
  });

  it('a guest printing in a loop reaches the page as one bounded console event per VM and frame', async () => {
    const source = 'start:\n    li r1, 10\nloop:\n    out CONSOLE, r1\n    jmp loop\n';
    const api = new SimWorkerApi();
    const { gen } = api.start({ spec: { ...spec, source }, paused: true });
    const b = (await api.command(gen, { kind: 'seek', t: 20 }))!.batch;
    const consoles = b.events.filter((e) => e.type === 'console');
    expect(consoles.length).toBeGreaterThan(0);
    expect(new Set(consoles.map((e) => `${e.vm}|${e.suppressed}`)).size).toBe(consoles.length);
    for (const c of consoles) expect(c.text.length).toBeLessThan(4096 + 80);
    expect(consoles.some((c) => /not shown/.test(c.text))).toBe(true);
    api.dispose(gen);
  });

  it('a tour: its first state is announced, and Next moves the step the page sees', async () => {
    const host = inThreadHost(new SimWorkerApi());
    const l = new SimLabClient({ spec, paused: true, tour: { chapterId: 'failover', step: 0 } }, host);
    labs.push(l);
    const events: SimLabEvent['kind'][] = [];
    l.onEvent((e) => events.push(e.kind));
    await l.ready;
    expect(events).toContain('changed');
    expect(l.state.tour?.chapterId).toBe('failover');
    expect(l.state.tour?.step).toBe(0);
    expect(await l.nextStep()).toBe(true);
    expect(l.state.tour?.step).toBe(1);
  });

  it('the calls of a lab since replaced are ignored', async () => {
    const api = new SimWorkerApi();
    const host = inThreadHost(api);
    const old = new SimLabClient({ spec, paused: true }, host);
    await old.ready;
    const l = new SimLabClient({ spec, paused: true }, host);
    labs.push(l, old);
    await l.ready;
    expect(await old.act({ kind: 'kill-primary' })).toBe(false);
    expect(l.state.actions).toEqual([]);
    await l.seek(5);
    expect(await l.act({ kind: 'kill-primary' })).toBe(true);
  });
});
