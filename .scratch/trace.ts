import { readFileSync } from 'node:fs';
import { launchChromium } from '../tests/browser/browser';
const NEWLINES = 'start:\n    li r1, frame\n    out NIC_TX_ADDR, r1\n    li r2, 16\nloop:\n    out NIC_TX_SEND, r2\n    jmp loop\n    .align 4\nframe: .word 1\n    .word 0\n';
const { preview } = await import('vite');
const server = await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'silent' });
const url = `http://127.0.0.1:${(server.httpServer.address() as any).port}/`;
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto(url);
await page.getByTestId('icount-B').waitFor();
if (process.argv[2] !== 'none') {
await page.getByText('Write your own program').click();
await page.getByLabel('Assembly source').fill(NEWLINES);
await page.getByRole('button', { name: 'Assemble and run' }).click();
}
await page.getByLabel('Speed').fill('5');
if (process.env.HIDE) await page.addStyleTag({ content: process.env.HIDE + ' { display: none !important; }' }); await page.waitForTimeout(3000);
await browser.startTracing(page, { path: '/tmp/flow/trace.json', categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8'] });
await page.waitForTimeout(5000);
await browser.stopTracing();
const t = JSON.parse(readFileSync('/tmp/flow/trace.json', 'utf8'));
const evs = (t.traceEvents ?? t) as any[];
const threads = new Map<string, string>();
for (const e of evs) if (e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
const sums = new Map<string, number>();
for (const e of evs) {
  if (e.ph !== 'X' || !e.dur) continue;
  const th = threads.get(`${e.pid}:${e.tid}`) ?? '?';
  if (!/CrRendererMain|DedicatedWorker/.test(th)) continue;
  const k = `${th.slice(0, 20)} ${e.name}`;
  sums.set(k, (sums.get(k) ?? 0) + e.dur);
}
for (const [k, us] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((us / 1000).toFixed(0).padStart(7), 'ms', k);
await browser.close(); server.httpServer.close();
const fc = new Map<string, [number, number]>();
for (const e of evs) {
  if (e.ph !== 'X' || e.name !== 'FunctionCall') continue;
  const th = threads.get(`${e.pid}:${e.tid}`) ?? '?';
  if (!/CrRendererMain/.test(th)) continue;
  const d = e.args?.data ?? {};
  const k = `${d.functionName || '?'} ${String(d.url ?? '').split('/').pop()}:${d.lineNumber}:${d.columnNumber}`;
  const v = fc.get(k) ?? [0, 0];
  fc.set(k, [v[0] + e.dur, v[1] + 1]);
}
for (const [k, [us, n]] of [...fc].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15)) console.log((us / 1000).toFixed(0).padStart(7), 'ms', String(n).padStart(6), 'calls', k);
