// Recordings and time travel on the simulator runtime: export a session, import it, seek, and
// get the same state hashes as the live run; a malformed file is refused with nothing lost; a
// share link reproduces the session; acting in the past forks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { labPages } from './browser';

interface Cp {
  at: number;
  vms: { id: string; icount: number; hash: string }[];
}
type Sim = {
  kind: string;
  virtualNow: number;
  endMs: number | null;
  seeking: number | null;
  verification: { checked: number; expected: number; mismatch: string | null };
  state: { actions: { kind: string; at: number }[] };
  checkpoints(): Promise<Cp[]>;
  stateHashes(): Promise<Cp['vms']>;
  pause(): void;
  seek(t: number): Promise<void>;
};

const lab = <T>(page: Page, fn: string): Promise<T> => page.evaluate(`(() => { const l = globalThis.__lab; return ${fn}; })()`) as Promise<T>;

/** A live simulator session with a workload and a failover, paused. Returns its checkpoints. */
async function liveSession(page: Page, typed: string | null = null): Promise<{ checkpoints: Cp[]; now: number; actions: number }> {
  await page.getByLabel('Runtime').selectOption('simulator');
  await page.waitForFunction(() => (globalThis as unknown as { __lab: Sim }).__lab.kind === 'simulator');
  if (typed) {
    // A request typed in the client terminal, answered before the failover.
    await page.locator('.client-terminal textarea').focus();
    await page.keyboard.type(typed);
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: '← #1' }).waitFor();
  }
  await page.getByLabel('Automatic clients').selectOption('3');
  await page.waitForFunction(() => (globalThis as unknown as { __lab: Sim }).__lab.virtualNow > 400);
  await page.getByRole('button', { name: 'Kill primary', exact: true }).click();
  await page.waitForFunction(() => (globalThis as unknown as { __lab: Sim }).__lab.virtualNow > 900);
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
  return lab(page, 'l.checkpoints().then((checkpoints) => ({ checkpoints, now: l.virtualNow, actions: l.state.actions.length }))');
}

async function seekTo(page: Page, t: number): Promise<void> {
  await lab(page, `l.seek(${t})`);
  await page.waitForFunction(() => (globalThis as unknown as { __lab: Sim }).__lab.seeking === null);
}

describe('recordings and time travel', () => {
  let page: Page;
  let errors: string[] = [];
  labPages((p, e) => {
    page = p;
    errors = e;
  });

  it('a recording round-trips: export, import, seek, and the same state hashes as the live run', async () => {
    const live = await liveSession(page, 'put x 5');
    assert.ok(live.checkpoints.length > 20, 'the live run took checkpoints');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export' }).click();
    const file = await (await download).path();
    const bytes = readFileSync(file);
    assert.equal(bytes[0], 0x1f, 'the file is gzip');
    assert.equal(bytes[1], 0x8b);

    // A fresh page: nothing of the live run is left but the file.
    await page.reload();
    await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
    await page.getByLabel('Runtime').selectOption('simulator');
    await page.getByLabel('Recording file').setInputFiles({ name: 'session.lockstep', mimeType: 'application/gzip', buffer: bytes });
    await page.getByRole('status').filter({ hasText: 'Loaded' }).waitFor();
    assert.equal(await lab(page, 'l.endMs'), live.now, 'the recording ends where the live run was paused');
    assert.equal(await lab(page, 'l.state.actions.length'), live.actions);

    // Seek to three checkpoints, forwards then backwards: both VMs match the live run there.
    const picks = [live.checkpoints[Math.floor(live.checkpoints.length * 0.8)]!, live.checkpoints[3]!, live.checkpoints[Math.floor(live.checkpoints.length / 2)]!];
    for (const cp of picks) {
      await seekTo(page, cp.at);
      assert.deepEqual(await lab(page, 'l.stateHashes()'), cp.vms, `state at ${cp.at} ms`);
      assert.equal(await lab(page, 'l.virtualNow'), cp.at);
    }
    // The time bar itself: Home seeks to the start, End back to the end.
    // (the bar is disabled while a seek replays: a key pressed before the page has re-enabled it is lost)
    const barEnabled = (): Promise<unknown> =>
      page.waitForFunction(() => (document.querySelector('input[aria-label="Time (virtual ms)"]') as HTMLInputElement | null)?.disabled === false);
    const bar = page.getByLabel('Time (virtual ms)');
    await barEnabled();
    await bar.focus();
    await page.keyboard.press('Home');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: Sim }).__lab.virtualNow === 0 && (globalThis as unknown as { __lab: Sim }).__lab.seeking === null);
    await barEnabled();
    await bar.focus();
    await page.keyboard.press('End');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: Sim }).__lab.virtualNow > 0 && (globalThis as unknown as { __lab: Sim }).__lab.seeking === null);
    assert.equal(await lab(page, 'l.virtualNow'), live.now, 'End seeks exactly to the end of the recording');
    await page.getByTestId('rec-time').filter({ hasText: /\/ / }).waitFor();
    const v = await lab<Sim['verification']>(page, 'l.verification');
    assert.equal(v.mismatch, null);
    assert.ok(v.checked > 20 && v.checked === v.expected, `every checkpoint of the file was matched (${v.checked}/${v.expected})`);
    await page.getByText(/✔ replay matches/).waitFor();
    // The VM panels show the replayed machines.
    const last = live.checkpoints.at(-1)!;
    for (const vm of last.vms) await page.getByTestId(`icount-${vm.id}`).waitFor();
    // After Home then End (a jump ahead to a later snapshot) the page tells the whole run, as the
    // live page did: the typed request and its reply, B holding test-and-set, the failover in the
    // feed, the channel's totals (they read "clear", "nothing unusual yet" and 0 entries).
    await page.locator('.client-terminal').scrollIntoViewIfNeeded();
    await page
      .locator('.client-terminal', { hasText: '→ PUT x 5' })
      .filter({ hasText: '← #1 OK' })
      .waitFor()
      .catch(async (e: unknown) => {
        throw new Error(`${String(e)}\nthe terminal reads: ${await page.locator('.client-terminal .xterm-rows').textContent()}`);
      });
    await page.locator('[data-panel="storage"][aria-label="Shared storage: test-and-set held by B"]').waitFor();
    await page.getByText(/B won test-and-set|B is now live/).first().waitFor();
    const entries = Number(((await page.locator('.stage').textContent()) ?? '').match(/([\d,]+) entries ·/)?.[1]?.replace(/,/g, '') ?? '0');
    assert.ok(entries > 0, `the channel's totals count the run (${entries} entries)`);
    assert.deepEqual(errors, []);
  });

  it('a malformed recording is refused with a message, and the session on screen is untouched', async () => {
    await liveSession(page);
    const before = await lab<string>(page, 'l.stateHashes().then((h) => JSON.stringify([l.virtualNow, l.state.actions, h]))');
    const bad: [string, Buffer][] = [
      ['garbage.lockstep', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])],
      ['wrong.json', Buffer.from(JSON.stringify({ format: 'lockstep-recording', version: 1, title: 'x', chapter: null, spec: {}, actions: [], endMs: 0, checkpoints: [], trace: [] }))],
      ['truncated.lockstep', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2])],
    ];
    for (const [name, buffer] of bad) {
      await page.getByLabel('Recording file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
      const alert = page.getByRole('alert').filter({ hasText: 'Not loaded' });
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', new RegExp(name.replace('.', '\\.')), 'the message names the file');
      assert.equal(await lab<string>(page, 'l.stateHashes().then((h) => JSON.stringify([l.virtualNow, l.state.actions, h]))'), before, `${name}: nothing lost`);
      await alert.getByRole('button', { name: 'Dismiss' }).click();
    }
    assert.deepEqual(errors, []);
  });

  it('a share link reproduces the session at the moment it was taken', async () => {
    const live = await liveSession(page);
    await page.getByRole('button', { name: 'Share link' }).click();
    const url = await page.getByLabel('Share link').inputValue();
    assert.match(url, /#run=2\.[A-Za-z0-9_-]+$/);
    const other = await page.context().browser()!.newPage();
    other.on('pageerror', (e) => errors.push(String(e)));
    await other.goto(url);
    await other.waitForFunction((t) => {
      const l = (globalThis as unknown as { __lab?: Sim }).__lab;
      return l?.kind === 'simulator' && l.seeking === null && l.virtualNow === t;
    }, live.now);
    assert.deepEqual(await lab(other, 'l.stateHashes()'), await lab(page, 'l.stateHashes()'));
    assert.equal(await lab(other, 'l.state.actions.length'), live.actions);
    await other.close();
    assert.deepEqual(errors, []);
  });

  it('acting while viewing the past forks a new run, with a notice', async () => {
    const live = await liveSession(page);
    const kill = live.checkpoints.find((c) => c.at > 0) ?? live.checkpoints[0]!;
    await seekTo(page, kill.at);
    await page.getByRole('button', { name: 'Kill backup', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /Forked at .* killed the backup/ }).waitFor();
    const kinds = await lab<string[]>(page, 'l.state.actions.map((a) => a.kind)');
    assert.ok(!kinds.includes('kill-primary'), 'the recorded kill of the primary, later than the fork, is gone');
    assert.equal(kinds.at(-1), 'kill-backup');
    assert.equal(await lab(page, 'l.endMs'), null, 'a fork is a live run');
    assert.deepEqual(errors, []);
  });
});
