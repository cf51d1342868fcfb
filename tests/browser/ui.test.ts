// The interface's controls and views, driven the way a learner would.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { appUrl, labPages } from './browser';

const require = createRequire(import.meta.url);

describe('interface', () => {
  let page: Page;
  let errors: string[] = [];
  labPages((p, e) => {
    page = p;
    errors = e;
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    // Evaluated, not added as a <script>: the page's CSP refuses inline scripts.
    await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const result = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.map((n) => (n as { target: unknown; failureSummary?: string }).target))} ${(v.nodes[0] as { failureSummary?: string }).failureSummary ?? ''}`);
    });
    assert.deepEqual(result, []);
  });

  it('pause freezes both VMs; step advances them a little; resume goes on', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.waitForTimeout(300);
    const t0 = await page.evaluate(() => (globalThis as unknown as { __lab: { virtualNow: number } }).__lab.virtualNow);
    await page.waitForTimeout(300);
    const t1 = await page.evaluate(() => (globalThis as unknown as { __lab: { virtualNow: number } }).__lab.virtualNow);
    assert.equal(t1, t0, 'virtual time is frozen while paused');
    await page.getByRole('button', { name: 'Step' }).click();
    await page.waitForTimeout(300);
    const t2 = await page.evaluate(() => (globalThis as unknown as { __lab: { virtualNow: number } }).__lab.virtualNow);
    assert.ok(t2 > t1 && t2 - t1 <= 1, `one step is one slice of virtual time (${t1} → ${t2})`);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
  });

  it('keyboard: ? opens the help overlay, Escape closes it, space pauses', async () => {
    await page.locator('h1').click();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.screenshot({ path: 'test-results/ui-help.png' });
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.keyboard.press(' ');
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.keyboard.press('k');
    await page.locator('.vm.role-dead[data-vm=A]').waitFor();
  });

  it('the client terminal has help, completion and history', async () => {
    await page.locator('.client-terminal').click();
    await page.keyboard.type('help');
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: 'put <key> <value>' }).waitFor();
    await page.keyboard.type('in');
    await page.keyboard.press('Tab');
    await page.keyboard.type('visits');
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: 'VALUE 1' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: 'VALUE 2' }).waitFor({ timeout: 10_000 });
    await page.keyboard.type('frobnicate');
    await page.keyboard.press('Enter');
    await page.locator('.client-terminal', { hasText: "unknown command 'frobnicate'" }).waitFor();
  });

  it('Output Rule off is a teaching switch: the run restarts with it and the feed says so', async () => {
    await page.getByLabel('Output Rule').uncheck();
    await page.locator('.feed', { hasText: 'Output Rule OFF' }).waitFor();
    await page.getByTestId('icount-B').waitFor();
    const sw = await page.evaluate(() => (globalThis as unknown as { __lab: { config: { outputRule: boolean } } }).__lab.config.outputRule);
    assert.equal(sw, false);
    await page.getByLabel('Output Rule').check();
  });

  it('the editor: a bad program gets line:col errors and changes nothing; a good one runs on both VMs', async () => {
    await page.getByText('Write your own program').click();
    await page.evaluate(() => {
      const g = globalThis as unknown as { __lab: object; __labBefore: object };
      g.__labBefore = g.__lab;
    });
    await page.getByLabel('Assembly source').fill('start:\n    lii r1, 5\n    add r1, r2\n');
    await page.getByRole('button', { name: 'Assemble and run' }).click();
    await page.locator('#asm-errors', { hasText: "2:5: unknown instruction 'lii'" }).waitFor();
    await page.locator('#asm-errors', { hasText: '3:' }).waitFor();
    const same = await page.evaluate(() => {
      const g = globalThis as unknown as { __lab: object; __labBefore: object };
      return g.__lab === g.__labBefore;
    });
    assert.ok(same, 'the running session is untouched');
    await page.getByLabel('Assembly source').fill('start:\n  li r1, msg\n  call puts\n  halt\nmsg: .string "made by hand\\n"\n  .align 4\n.include "lib"\n');
    await page.getByRole('button', { name: 'Assemble and run' }).click();
    // The new lab replaces the panels once its workers answer: wait for that before scrolling to them.
    await page.waitForFunction(() => {
      const g = globalThis as unknown as { __lab: object; __labBefore: object };
      return g.__lab !== g.__labBefore;
    });
    await page.evaluate(() => (globalThis as unknown as { __lab: { ready: Promise<void> } }).__lab.ready);
    await page.getByTestId('icount-B').waitFor();
    // xterm.js renders only terminals on screen.
    await page.locator('.console[data-vm=A]').scrollIntoViewIfNeeded();
    await page.locator('.console[data-vm=A]', { hasText: 'made by hand' }).waitFor({ timeout: 10_000 });
    await page.locator('.console[data-vm=B]', { hasText: 'made by hand' }).waitFor({ timeout: 10_000 });
    // The Program menu names what runs; the guest ran its halt, and the panel says so, not "running".
    assert.equal(await page.getByLabel('Program').locator('option:checked').textContent(), 'your program (editor)');
    await page.locator('.vm[data-vm=A] .vm-state', { hasText: 'guest halted' }).waitFor({ timeout: 10_000 });
    assert.match((await page.locator('.vm[data-vm=A] .disasm li.current').textContent()) ?? '', /halt/);
    assert.equal(await page.locator('.vm[data-vm=A] .lag', { hasText: 'CPU' }).count(), 0);
    assert.deepEqual(errors, []);
  });

  it('keyboard: Space on a focused button presses it (the run is not paused); the help dialog holds focus and gives it back', async () => {
    const kill = page.getByRole('button', { name: 'Kill primary', exact: true });
    await kill.focus();
    await page.keyboard.press(' ');
    await page.locator('.vm.role-dead[data-vm=A]').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Pause' }).waitFor(); // still running
    // The help dialog: Tab stays inside; Escape closes it and focus returns to where it was.
    const before = page.getByRole('button', { name: 'Step' });
    await before.focus();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      assert.ok(await dialog.evaluate((el) => el.contains(document.activeElement)), `Tab ${i + 1} stays in the dialog`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.ok(await before.evaluate((el) => el === document.activeElement), 'focus is back on the Step button');
    assert.deepEqual(errors, []);
  });

  it('keyboard: − from the default speed (human pace) is slower, + faster', async () => {
    await page.goto(appUrl());
    await page.waitForFunction(() => (globalThis as { __lab?: unknown }).__lab !== undefined);
    const shown = page.locator('label.speed output');
    await shown.filter({ hasText: '1/50×' }).waitFor();
    await page.locator('h1').click();
    await page.keyboard.press('-');
    await shown.filter({ hasText: '1/100×' }).waitFor();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await shown.filter({ hasText: '1/10×' }).waitFor();
  });

  it('a guest printing raw bytes: the console shows them as ·, and the terminal reports no parse errors', async () => {
    const consoleErrors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
    await page.getByText('Write your own program').click();
    await page.getByLabel('Assembly source').fill('start:\n    in r1, RANDOM\n    out CONSOLE, r1\n    jmp start\n');
    await page.getByRole('button', { name: 'Assemble and run' }).click();
    await page.locator('.console[data-vm=A]').scrollIntoViewIfNeeded();
    await page.locator('.console[data-vm=A]', { hasText: '·' }).waitFor({ timeout: 20_000 });
    // Long enough for thousands of random bytes to have been written.
    await page.waitForFunction(() => (globalThis as unknown as { __lab: { virtualNow: number } }).__lab.virtualNow > 50, null, { timeout: 30_000 });
    assert.deepEqual(consoleErrors.filter((e) => /xterm|Parsing error/i.test(e)).slice(0, 3), []);
    assert.deepEqual(errors, []);
  });

  it('switching runtime keeps the automatic clients running (as a teaching switch does)', async () => {
    await page.getByLabel('Automatic clients').selectOption('3');
    await page.getByLabel('Runtime').selectOption('simulator');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: { kind: string } }).__lab.kind === 'simulator');
    assert.equal(await page.getByLabel('Automatic clients').inputValue(), '3');
    // The new lab's own clients answer (nobody typed a request): the checkers count their operations.
    await page.getByText(/Output Requirement holds: [1-9]\d* completed client operations?/).first().waitFor({ timeout: 30_000 });
    await page.getByLabel('Automatic clients').selectOption('0');
    await page.getByLabel('Runtime').selectOption('workers');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: { kind: string } }).__lab.kind === 'workers');
    assert.equal(await page.getByLabel('Automatic clients').inputValue(), '0');
    assert.deepEqual(errors, []);
  });

  it("a VM's own menu acts on that VM: Kill VM A after B took over from a paused A kills A, not B", async () => {
    await page.getByLabel('Runtime').selectOption('simulator');
    await page.waitForFunction(() => (globalThis as unknown as { __lab: { kind: string } }).__lab.kind === 'simulator');
    await page.locator('.stage-vm.role-backup[data-vm="B"]').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'VM A (primary): actions' }).click();
    await page.getByRole('menuitem', { name: 'Pause VM A' }).click();
    await page.locator('.stage-vm.role-live[data-vm="B"]').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: /^VM A \(primary\)/ }).click();
    await page.getByRole('menuitem', { name: 'Kill VM A' }).click();
    await page.locator('.vm.role-dead[data-vm=A]').waitFor({ timeout: 20_000 });
    assert.equal(await page.locator('.vm.role-live[data-vm=B]').count(), 1, 'B still serves');
    assert.deepEqual(errors, []);
  });

  it('keyboard: Tab leaves a VM console and the client terminal (no keyboard trap)', async () => {
    for (const sel of ['.console[data-vm=A]', '.client-terminal']) {
      await page.locator(sel).scrollIntoViewIfNeeded();
      await page.locator(`${sel} textarea`).focus();
      assert.ok(await page.locator(sel).evaluate((el) => el.contains(document.activeElement)), `${sel} has focus`);
      await page.keyboard.press('Tab');
      assert.ok(!(await page.locator(sel).evaluate((el) => el.contains(document.activeElement))), `Tab leaves ${sel}`);
    }
    // Typing a request, Tab completes it and focus stays; Escape then leaves.
    await page.locator('.client-terminal textarea').focus();
    await page.keyboard.type('ge');
    await page.keyboard.press('Tab');
    await page.locator('.client-terminal', { hasText: 'get ' }).waitFor();
    assert.ok(await page.locator('.client-terminal').evaluate((el) => el.contains(document.activeElement)));
    await page.keyboard.press('Escape');
    assert.ok(!(await page.locator('.client-terminal').evaluate((el) => el.contains(document.activeElement))), 'Escape leaves');
  });

  it('the memory window shows the same bytes on primary and backup', async () => {
    await page.getByLabel('Memory address').fill('0x0040');
    await page.locator('.vm[data-vm=A] .mem-box summary').click();
    await page.locator('.vm[data-vm=B] .mem-box summary').click();
    await page.locator('.vm[data-vm=A] .memory', { hasText: '0x0040' }).waitFor();
    const [a, b] = await Promise.all(['A', 'B'].map((id) => page.locator(`.vm[data-vm=${id}] .memory`).textContent()));
    assert.equal(a, b);
    await page.screenshot({ path: 'test-results/ui-720p.png' });
  });

  it('kill backup: the primary wins test-and-set and goes on alone', async () => {
    await page.getByRole('button', { name: 'Kill backup' }).click();
    await page.locator('.vm.role-dead[data-vm=B]').waitFor();
    await page.locator('.vm.role-live[data-vm=A]').waitFor({ timeout: 10_000 });
    await page.getByTestId('tas-holder').filter({ hasText: 'A' }).waitFor();
  });

  it('speed: slow motion makes a cut that heals in time harmless (no failover)', async () => {
    await page.getByLabel('Speed').fill('1'); // 1/100×: the 150 ms failure timeout takes 15 s
    await page.getByText('1/100×').waitFor();
    const speed = await page.evaluate(() => (globalThis as unknown as { __lab: { clock: { speed: number } } }).__lab.clock.speed);
    assert.equal(speed, 0.01);
    await page.getByRole('button', { name: 'Cut logging channel' }).click();
    await page.waitForTimeout(1500);
    await page.getByRole('button', { name: 'Heal' }).click();
    await page.locator('.feed', { hasText: 'healed every cut' }).waitFor();
    await page.waitForTimeout(7000);
    const roles = await page.evaluate(() => [...(globalThis as unknown as { __lab: { roles: Map<string, string> } }).__lab.roles]);
    assert.deepEqual(roles, [
      ['A', 'primary'],
      ['B', 'backup'],
    ]);
  });

  it('the program picker runs another guest on both VMs; the workload rate is adjustable', async () => {
    await page.getByRole('combobox', { name: 'Program', exact: true }).selectOption('ticker');
    await page.locator('.console[data-vm=A]', { hasText: /tick \d+ clock=\d+ random=0x/ }).waitFor({ timeout: 10_000 });
    await page.locator('.console[data-vm=B]', { hasText: /tick \d+ clock=\d+ random=0x/ }).waitFor({ timeout: 10_000 });
    await page.getByRole('combobox', { name: 'Program', exact: true }).selectOption('lease-server');
    await page.locator('.client-terminal', { hasText: 'lease-server' }).waitFor();
    await page.getByLabel('Automatic clients').selectOption('3');
    await page.getByLabel('Requests per second per client').selectOption('200');
    const n = await page.evaluate(() => (globalThis as unknown as { __lab: { clients: { size: number } } }).__lab.clients.size);
    assert.ok(n >= 3);
    // (until a grant completes the checker says "not checked"; on a loaded machine that takes a while)
    await page.locator('.verdicts', { hasText: 'lease safety holds' }).waitFor({ timeout: 30_000 });
  });
});
