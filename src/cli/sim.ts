// Headless CLI over the simulator (a contract: other tooling relies on these flags).
//   npm run -s sim -- --scenario FILE [--seed N] [--json]
//   npm run -s sim -- --fuzz N [--seed S] [--json] [--output-rule off] [--unlogged SOURCE]
//   npm run -s sim -- --recording FILE [--json]   (replay a recording and check it against its checkpoints)
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { NondetSource } from '../engine/ft/hypervisor';
import { fuzzScenario, runFuzz } from '../engine/sim/fuzz';
import { runScenario, type SimResult } from '../engine/sim/runScenario';
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
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

if (args.help || (!args.scenario && !args.fuzz && !args.replay && !args.recording)) {
  console.log(`usage:
  npm run -s sim -- --scenario FILE [--seed N] [--json]
  npm run -s sim -- --fuzz N [--seed S] [--json] [--output-rule off] [--test-and-set off] [--unlogged SOURCE]
  npm run -s sim -- --replay RUN_SEED [--json] [same switches]   (one fuzz run, by the seed fuzz reported)
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

function summary(r: SimResult): string {
  const c = r.checkers;
  const mark = (ok: boolean | 'unknown'): string => (ok === true ? 'ok  ' : ok === 'unknown' ? '??  ' : 'FAIL');
  const lines = [
    `scenario ${r.scenario}: ${r.program}, seed ${r.seed}, ${r.durationMs} virtual ms`,
    `  ${mark(c.outputRequirement.ok)} Output Requirement: ${c.outputRequirement.message}`,
    ...c.outputRequirement.invariants.slice(0, 5).map((v) => `       invariant ${v.invariant} at ${v.t.toFixed(2)} ms: ${v.message}`),
    `  ${mark(c.splitBrain.ok)} split brain: ${c.splitBrain.message}`,
    `  ${mark(c.replay.ok)} replay: ${c.replay.ok ? 'backup never diverged' : `${c.replay.divergences.length} divergence(s); first at ${c.replay.divergences[0]!.t.toFixed(2)} ms: ${c.replay.divergences[0]!.detail}`}`,
    r.failover.wentLive
      ? `  failover: ${r.failover.wentLive} went live at ${r.failover.atMs!.toFixed(2)} ms${r.failover.faultToFirstOutputMs !== null ? `; first output ${r.failover.faultToFirstOutputMs.toFixed(2)} ms after the fault` : ''}`
      : '  failover: none',
    `  VMs: ${r.vms.map((v) => `${v.id} ${v.role}${v.haltReason ? ` (${v.haltReason})` : ''} at icount ${v.icount}`).join('; ')}`,
    `  stats: ${r.stats.instructions} instructions, ${r.stats.entries} log entries, ${r.stats.logBytes} log bytes, ${r.stats.outputs} outputs (mean delay ${r.stats.outputDelayMsMean.toFixed(3)} ms, max ${r.stats.outputDelayMsMax.toFixed(3)} ms), client ops ${r.stats.clientOps} (${r.stats.clientOk} ok, ${r.stats.clientInfo} info)`,
  ];
  return lines.join('\n');
}

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
    const mark = (ok: boolean | 'unknown'): string => (ok === true ? 'ok  ' : ok === 'unknown' ? '??  ' : 'FAIL');
    console.log(
      [
        `recording "${rec.title}": ${rec.spec.scenario.program}, seed ${rec.spec.scenario.seed}, ${rec.actions.length} actions, ${rec.endMs.toFixed(2)} virtual ms${rec.chapter ? `, tour chapter ${rec.chapter}` : ''}`,
        `  ${mark(mismatch === null)} replay: ${mismatch ?? `the same run: all ${rec.checkpoints.length} checkpoints matched`} (${((performance.now() - t0) / 1000).toFixed(2)} s)`,
        `  ${mark(v.outputRequirement.ok)} Output Requirement: ${v.outputRequirement.message}`,
        `  ${mark(v.splitBrain.ok)} split brain: ${v.splitBrain.message}`,
        `  ${mark(v.replay.ok)} backup replay: ${v.replay.message}`,
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
  process.exit(0);
}

const fuzzOpts = {
  ...(outputRule !== undefined ? { outputRule } : {}),
  ...(testAndSet !== undefined ? { testAndSet } : {}),
  unlogged,
};

if (args.replay) {
  const runSeed = parseSeed(args.replay)!;
  const { result } = runScenario(fuzzScenario(runSeed, fuzzOpts));
  console.log(summary(result));
  if (args.json) console.log(JSON.stringify(result));
  process.exit(0);
}

const runs = Number(args.fuzz);
if (!Number.isInteger(runs) || runs < 1) fail(`--fuzz takes a positive number of runs, got '${args.fuzz}'`);
const t0 = performance.now();
const s = runFuzz(runs, seed ?? 1, fuzzOpts);
const secs = (performance.now() - t0) / 1000;
console.log(
  `fuzz: ${s.runs} runs in ${secs.toFixed(1)} s; ${s.violations} with violations ` +
    `(Output Requirement ${s.output_requirement}, split brain ${s.split_brain}, divergence ${s.divergences})`,
);
if (s.first_failing_seed !== null) {
  console.log(`first failing run: seed ${s.first_failing_seed}: ${s.first_failure}`);
  const sw = [outputRule === false ? ' --output-rule off' : '', testAndSet === false ? ' --test-and-set off' : '', ...unlogged.map((u) => ` --unlogged ${u}`)].join('');
  console.log(`replay it: npm run -s sim -- --replay ${s.first_failing_seed}${sw}`);
}
if (args.json) {
  const { failover_virtual_ms: _f, ...rest } = s;
  console.log(JSON.stringify({ ...rest, seconds: Math.round(secs * 10) / 10 }));
}
