import { launchChromium, serveBuiltApp } from '../tests/browser/browser';
const NEWLINES = 'start:\n    li r1, 10\nloop:\n    out CONSOLE, r1\n    jmp loop\n';
const FRAMES = 'start:\n    li r1, frame\n    out NIC_TX_ADDR, r1\n    li r2, 16\nloop:\n    out NIC_TX_SEND, r2\n    jmp loop\n    .align 4\nframe: .word 1\n    .word 0x6f6c6c65\n    .word 0\n    .word 0\n';
const [which, runtime, secs] = process.argv.slice(2);
const app = await (async () => { const { preview } = await import("vite"); const server = await preview({ preview: { port: 0, host: "127.0.0.1" }, logLevel: "silent" }); const a = server.httpServer.address() as any; return { url: `http://127.0.0.1:${a.port}/`, close: () => server.httpServer.close() }; })();
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto(app.url); if (process.env.NOCON) await page.evaluate(() => { (globalThis as any).__noConsole = true; });
await page.getByTestId('icount-B').waitFor();
if (runtime === 'simulator') { await page.getByLabel('Runtime').selectOption('simulator'); await page.waitForFunction(() => (globalThis as any).__lab.kind === 'simulator'); }
if (which === 'primes') { await page.getByLabel('Program').selectOption('primes'); await page.waitForTimeout(1000); } else if (which !== 'none') {
  await page.getByText('Write your own program').click();
  await page.getByLabel('Assembly source').fill(which === 'frames' ? FRAMES : NEWLINES);
  await page.getByRole('button', { name: 'Assemble and run' }).click();
}
await page.getByLabel('Speed').fill('5'); if (process.env.PAUSE) await page.getByRole('button', { name: 'Pause' }).click(); if (process.env.BLANK) await page.goto('about:blank');
if (process.env.HIDE) await page.addStyleTag({ content: process.env.HIDE + ' { display: none !important; }' }); await page.waitForTimeout(3000);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.start');
const trips: number[] = [];
const end = Date.now() + Number(secs ?? 10) * 1000;
while (Date.now() < end) { const t0 = performance.now(); await page.evaluate(() => new Promise((r) => setTimeout(r, 0))); trips.push(performance.now() - t0); await new Promise((r) => setTimeout(r, 50)); }
const { profile } = (await cdp.send('Profiler.stop')) as any;
const self = new Map<string, number>();
const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
const dt = profile.timeDeltas as number[];
const counts = new Map<number, number>();
profile.samples.forEach((id: number, i: number) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
for (const [id, us] of counts) { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + us); }
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
const s = [...trips].sort((a, b) => a - b);
console.log(`p50 ${s[Math.floor(s.length / 2)]!.toFixed(1)} p95 ${s[Math.floor(s.length * 0.95)]!.toFixed(1)} n ${s.length}`);
console.log(JSON.stringify(await page.evaluate(() => ({ speed: (globalThis as any).__lab.clock.speed, now: (globalThis as any).__lab.virtualNow }))));
for (const [k, us] of top) console.log((us / 1000).toFixed(0).padStart(7), 'ms', k);
await browser.close(); app.close();
