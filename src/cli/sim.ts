// Headless CLI over the simulator (a contract: other tooling relies on these flags).
//   npm run -s sim -- --scenario FILE [--seed N] [--json]
//   npm run -s sim -- --fuzz N [--seed S] [--json] [--workers K] [--output-rule off] [--unlogged SOURCE]
//   npm run -s sim -- --replay RUN_SEED [--save FILE]   (one fuzz run; a failing one is shrunk)
// Exit status: 0 all checks passed (or had nothing to check), 1 a violation or an unknown verdict, 2 bad input.
//   npm run -s sim -- --recording FILE [--json]   (replay a recording and check it against its checkpoints)
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { NondetSource } from '../engine/ft/hypervisor';
import { availableParallelism } from 'node:os';
import { CHECKS, fuzzCase, fuzzRun, shrink } from '../engine/sim/fuzz';
import { runScenario, type SimResult } from '../engine/sim/runScenario';
import { VERDICT_NAMES, type LabVerdicts } from '../engine/sim/checkers/verdicts';
import { fuzzInWorkers } from './fuzzWorkers';
import { ScenarioError, parseScenario } from '../engine/sim/scenario';
import { RecordingError, decodeRecording, replayRecording } from '../engine/session/recording';

const SOURCES: readonly NondetSource[] = ['timer', 'clock', 'random', 'packet-timing'];

function fail(msg: string): never {
  console.error(`sim: ${msg}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      scenario: { type: 'string' },
      fuzz: { type: 'string' },
      replay: { type: 'string' },
      recording: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'output-rule': { type: 'string' },
      'test-and-set': { type: 'string' },
      unlogged: { type: 'string', multiple: true },
      save: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

if (args.help || (!args.scenario && !args.fuzz && !args.replay && !args.recording)) {
  console.log(`usage:
  npm run -s sim -- --scenario FILE [--seed N] [--json]
  npm run -s sim -- --fuzz N [--seed S] [--json] [--workers K] [--output-rule off] [--test-and-set off] [--unlogged SOURCE]
  npm run -s sim -- --replay RUN_SEED [--json] [--save FILE.json] [same switches]
      (one fuzz run, by the seed fuzz reported; a failing run is shrunk, and --save writes it as a scenario)
exit status: 0 every check passed (or had nothing to check), 1 a check failed or could not decide, 2 bad usage or input
  npm run -s sim -- --recording FILE.lockstep [--json]         (replay a recording, check its state hashes)
SOURCE is one of: ${SOURCES.join(', ')}`);
  process.exit(args.help ? 0 : 2);
}

function parseSeed(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail(`--seed must be an integer from 0 to 4294967295, got '${s}'`);
  return n;
}

function onOff(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === 'on') return true;
  if (v === 'off') return false;
  fail(`--${name} takes 'on' or 'off', got '${v}'`);
}

const mark = (status: string): string => (status === 'pass' ? 'ok  ' : status === 'fail' ? 'FAIL' : status === 'unknown' ? '??  ' : '--  ');

function verdictLines(v: LabVerdicts): string[] {
  return VERDICT_NAMES.map((n) => `  ${mark(v[n.key].status)} ${n.label}: ${v[n.key].message}`);
}

function summary(r: SimResult): string {
  const c = r.checkers;
  const lines = [
    `scenario ${r.scenario}: ${r.program}, seed ${r.seed}, ${r.durationMs} virtual ms`,
    ...verdictLines(c),
    ...c.invariants.slice(0, 5).map((v) => `       invariant ${v.invariant} at ${v.t.toFixed(2)} ms: ${v.message}`),
    r.failover.wentLive
      ? `  failover: ${r.failover.wentLive} went live at ${r.failover.atMs!.toFixed(2)} ms${r.failover.faultToFirstOutputMs !== null ? `; first output ${r.failover.faultToFirstOutputMs.toFixed(2)} ms after the fault` : ''}`
      : '  failover: none',
    `  VMs: ${r.vms.map((v) => `${v.id} ${v.role}${v.haltReason ? ` (${v.haltReason})` : ''} at icount ${v.icount}`).join('; ')}`,
    `  stats: ${r.stats.instructions} instructions, ${r.stats.entries} log entries, ${r.stats.logBytes} log bytes, ${r.stats.outputs} outputs (mean delay ${r.stats.outputDelayMsMean.toFixed(3)} ms, max ${r.stats.outputDelayMsMax.toFixed(3)} ms), client ops ${r.stats.clientOps} (${r.stats.clientOk} ok, ${r.stats.clientInfo} info)`,
    `  verdict: ${r.verdict.toUpperCase()}`,
  ];
  return lines.join('\n');
}

/** Exit status: 0 every check passed or had nothing to check; 1 a check failed or could not decide. */
const exitFor = (r: SimResult): number => (r.verdict === 'pass' ? 0 : 1);

if (args.recording) {
  const file = args.recording;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    fail(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const rec = decodeRecording(bytes, file);
    const t0 = performance.now();
    const { session, mismatch } = replayRecording(rec);
    const v = session.verdicts();
    console.log(
      [
        `recording "${rec.title}": ${rec.spec.scenario.program}, seed ${rec.spec.scenario.seed}, ${rec.actions.length} actions, ${rec.endMs.toFixed(2)} virtual ms${rec.chapter ? `, tour chapter ${rec.chapter}` : ''}`,
        `  ${mark(mismatch === null ? 'pass' : 'fail')} replay: ${mismatch ?? `the same run: all ${rec.checkpoints.length} checkpoints matched`} (${((performance.now() - t0) / 1000).toFixed(2)} s)`,
        ...verdictLines(v),
      ].join('\n'),
    );
    if (args.json) console.log(JSON.stringify({ title: rec.title, actions: rec.actions.length, endMs: rec.endMs, checkpoints: rec.checkpoints.length, mismatch, verdicts: v }));
    process.exit(mismatch === null ? 0 : 1);
  } catch (err) {
    if (err instanceof RecordingError) fail(err.message);
    throw err;
  }
}

const seed = parseSeed(args.seed);
const unlogged = (args.unlogged ?? []).map((u) => {
  if (!SOURCES.includes(u as NondetSource)) fail(`--unlogged takes one of ${SOURCES.join(', ')}, got '${u}'`);
  return u as NondetSource;
});
const outputRule = onOff('output-rule', args['output-rule']);
const testAndSet = onOff('test-and-set', args['test-and-set']);

if (args.scenario) {
  const file = args.scenario;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let scenario;
  try {
    scenario = parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) fail(`invalid scenario\n${err.message}`);
    throw err;
  }
  if (seed !== undefined) scenario = { ...scenario, seed };
  if (outputRule !== undefined || testAndSet !== undefined || unlogged.length > 0) {
    scenario = {
      ...scenario,
      ft: {
        ...scenario.ft,
        ...(outputRule !== undefined ? { outputRule } : {}),
        ...(testAndSet !== undefined ? { testAndSet } : {}),
        ...(unlogged.length > 0 ? { unlogged } : {}),
      },
    };
  }
  const { result } = runScenario(scenario);
  console.log(summary(result));
  if (args.json) console.log(JSON.stringify(result));
  process.exit(exitFor(result));
}

const fuzzOpts = {
  ...(outputRule !== undefined ? { outputRule } : {}),
  ...(testAndSet !== undefined ? { testAndSet } : {}),
  unlogged,
};

if (args.replay) {
  const runSeed = parseSeed(args.replay)!;
  const { result } = fuzzRun(runSeed, fuzzOpts);
  console.log(summary(result));
  if (result.verdict !== 'pass') {
    const small = shrink(runSeed, fuzzOpts);
    console.log(`shrunk to ${small.actions.length} action(s) that still fail ${small.result.failures[0]?.label ?? ''}:`);
    for (const a of small.actions) console.log(`  ${JSON.stringify(a)}`);
    if (args.save) {
      const { scenario } = fuzzCase(runSeed, fuzzOpts);
      const file = { ...scenario, name: `fuzz-${runSeed}`, description: `fuzz run ${runSeed}, shrunk: ${small.result.failures[0]?.message ?? ''}`, actions: small.actions };
      writeFileSync(args.save, `${JSON.stringify(file, null, 2)}\n`);
      console.log(`saved as ${args.save}`);
    }
  }
  if (args.json) console.log(JSON.stringify(result));
  process.exit(exitFor(result));
}

const runs = Number(args.fuzz);
if (!Number.isInteger(runs) || runs < 1) fail(`--fuzz takes a positive number of runs, got '${args.fuzz}'`);
const workers = Math.max(1, Math.min(runs, args.workers !== undefined ? Number(args.workers) || 1 : availableParallelism()));
const t0 = performance.now();
const s = await fuzzInWorkers(runs, seed ?? 1, fuzzOpts, workers);
const secs = (performance.now() - t0) / 1000;
const failedText = CHECKS.filter((k) => s.failed[k] > 0).map((k) => `${k} ${s.failed[k]}`).join(', ');
console.log(
  `fuzz: ${s.runs} runs (${s.actions} actions, ${(s.virtual_ms / 1000).toFixed(0)} virtual s) in ${secs.toFixed(1)} s on ${workers} thread(s), ${(s.runs / secs).toFixed(1)} runs/s; ` +
    `${s.violations} with violations${failedText ? ` (${failedText})` : ''}, ${s.unknown} unknown`,
);
if (s.first_failing_seed !== null) {
  console.log(`first failing run: seed ${s.first_failing_seed}: ${s.first_failure}`);
  const sw = [outputRule === false ? ' --output-rule off' : '', testAndSet === false ? ' --test-and-set off' : '', ...unlogged.map((u) => ` --unlogged ${u}`)].join('');
  console.log(`replay (and shrink) it: npm run -s sim -- --replay ${s.first_failing_seed}${sw}`);
}
if (args.json) {
  const { failover_virtual_ms: _f, notChecked, ...rest } = s;
  console.log(JSON.stringify({ ...rest, not_checked: notChecked, seconds: Math.round(secs * 10) / 10, runs_per_second: Math.round((s.runs / secs) * 10) / 10, workers }));
}
process.exit(s.violations > 0 || s.unknown > 0 ? 1 : 0);
