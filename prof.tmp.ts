import { launchChromium, serveBuiltApp } from '/work/wt/flood/tests/browser/browser';
const FRAMES = 'start:\n    li r1, frame\n    out NIC_TX_ADDR, r1\n    li r2, 16\nloop:\n    out NIC_TX_SEND, r2\n    jmp loop\n    .align 4\nframe: .word 1\n    .word 0x6f6c6c65\n    .word 0\n    .word 0\n';
const runtime = process.argv[2] ?? 'workers';
const app = await serveBuiltApp();
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto(app.url);
await page.getByTestId('icount-A').waitFor();
if (runtime === 'simulator') {
  await page.getByLabel('Runtime').selectOption('simulator');
  await page.waitForFunction(() => (globalThis as any).__lab.kind === 'simulator');
}
await page.getByText('Write your own program').click();
await page.getByLabel('Assembly source').fill(FRAMES);
await page.getByRole('button', { name: 'Assemble and run' }).click();
await page.getByLabel('Speed').fill('6');
await page.waitForTimeout(5000);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.start');
const t0 = Date.now();
const trips: number[] = [];
while (Date.now() - t0 < 8000) { const a = performance.now(); await page.evaluate(() => new Promise((r) => setTimeout(r, 0))); trips.push(performance.now() - a); await new Promise((r) => setTimeout(r, 50)); }
const { profile } = (await cdp.send('Profiler.stop')) as any;
const self = new Map<string, number>();
const dt = profile.timeDeltas as number[];
const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
profile.samples.forEach((id: number, i: number) => { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0)); });
const parent = new Map<number, any>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
const callers = new Map<string, number>();
profile.samples.forEach((id: number, i: number) => { const n = byId.get(id); if (n.callFrame.functionName !== 'getBoundingClientRect') return; let p = parent.get(id); const chain: string[] = []; for (let k = 0; k < 6 && p; k++) { chain.push(`${p.callFrame.functionName || '(anon)'}:${p.callFrame.lineNumber}:${p.callFrame.columnNumber}`); p = parent.get(p.id); } const key = chain.join(' < '); callers.set(key, (callers.get(key) ?? 0) + (dt[i] ?? 0)); });
for (const [k, v] of [...callers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log('GBCR', (v / 1000).toFixed(0), k);
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log('total ms', (total / 1000).toFixed(0));
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / 1000).toFixed(0).padStart(6), k);
trips.sort((a, b) => a - b);
console.log('p95', trips[Math.floor(trips.length * 0.95)], 'n', trips.length, 'stats', await page.evaluate(() => { const l = (globalThis as any).__lab; const byType: Record<string, number> = {}; for (const e of l.trace) byType[e.type] = (byType[e.type] ?? 0) + 1; return { byType, tspan: l.trace.length ? l.trace.at(-1).t - l.trace[0].t : 0, trace: l.trace.length, framesDropped: l.framesDropped, sw: l._switchDropped, port: [...(l._portDropped?.values() ?? [])], icount: l.vms?.map((v: any) => v.last?.icount), folded: l.traceFolded }; }));
await browser.close(); app.close();
