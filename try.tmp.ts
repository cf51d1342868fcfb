import { validateScenario } from './src/engine/sim/scenario';
import { SimSession } from './src/engine/session/simSession';
const scenario = validateScenario({ program: 'kv-server', durationMs: 600_000 });
const s = new SimSession({ scenario }, [], { maxHistoryPerClient: 4000 });
s.runTo(1); s.act({ kind: 'workload', count: 3, perSecond: 20 });
let t0 = performance.now();
for (let m = 1; m <= 10; m++) { s.runTo(m * 60_000); console.log('min', m, ((performance.now() - t0)/1000).toFixed(1), 's', JSON.stringify(s.snapshotStats)); }
const b = s.snapshot(); console.log('one full snapshot bytes', b.length);
t0 = performance.now(); for (let i=0;i<10;i++) (s as any)._keepSnapshot(); console.log('keep ms', (performance.now()-t0)/10);
for (const t of [123_456, 400_000, 555_555, 77_777]) { t0 = performance.now(); s.rewindTo(t); const t1 = performance.now(); s.runTo(t); console.log('seek', t, (t1-t0).toFixed(1), (performance.now()-t0).toFixed(1)); s.runTo(600_000); }
