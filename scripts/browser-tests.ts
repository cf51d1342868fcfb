// Runs the browser tests (tests/browser/*.test.ts) against a production build served locally,
// in Debian's Chromium driven by playwright-core. Chromium: $CHROMIUM_PATH, then /usr/bin/chromium.
// No browser: skip loudly, except under CI=true where that is a failure.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { findChromium, serveBuiltApp } from '../tests/browser/browser';

const chromium = findChromium();
if (!chromium) {
  const msg = 'NO CHROMIUM FOUND (set CHROMIUM_PATH or install Debian chromium): browser tests SKIPPED';
  const bar = '!'.repeat(msg.length);
  console.error(`\n${bar}\n${msg}\n${bar}\n`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}

const app = await serveBuiltApp();
const files = readdirSync('tests/browser')
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `tests/browser/${f}`)
  .filter((f) => process.argv.length <= 2 || process.argv.slice(2).some((a) => f.includes(a)));
if (files.length === 0 || !existsSync(files[0]!)) {
  console.error('no browser tests found');
  process.exit(1);
}
// Async spawn: the preview server in this process must keep serving while the tests run.
// LOCKSTEP_TEST_PATTERN narrows the run to tests whose names match (node:test's name pattern).
const pattern = process.env.LOCKSTEP_TEST_PATTERN ? [`--test-name-pattern=${process.env.LOCKSTEP_TEST_PATTERN}`] : [];
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...pattern, ...files], {
  stdio: 'inherit',
  env: { ...process.env, LOCKSTEP_URL: app.url, CHROMIUM_PATH: chromium },
});
const status = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
app.close();
process.exit(status);
