// `npm run bench`: a readable table, then one JSON object on the last line.
import { benchMachine } from './machine';

const results: Record<string, number> = {};
const rows: [string, string, string][] = [];

function row(name: string, value: string, note: string): void {
  rows.push([name, value, note]);
}

const m = benchMachine();
results.machine_mips = round(m.mips, 1);
row('machine_mips', m.mips.toFixed(1), `kv-server under load, ${(m.instructions / 1e6).toFixed(0)} M instr in ${m.seconds.toFixed(2)} s (target ≥ 100)`);
row('kv requests/s', (m.requests / m.seconds).toFixed(0), `${m.instructionsPerRequest.toFixed(0)} guest instructions per request`);
results.kv_instructions_per_request = round(m.instructionsPerRequest, 0);

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
console.log(`${'metric'.padEnd(w[0]!)}  ${'value'.padStart(w[1]!)}  note`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c}`);
console.log(JSON.stringify(results));
