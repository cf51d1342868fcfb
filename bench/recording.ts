// Recording and share-link sizes (docs/recordings.md):
//  - recording_bytes_5min: the .lockstep file of a 5-minute kv-server session with 2 automatic
//    clients at 20 requests/s each, with its whole trace, as the page's Export writes it.
//  - share_link_chars: the text after `#run=` for a kv-server session with 10 learner actions.
//  - replay_ms_1000_workload_changes: replaying a session whose learner changed the automatic
//    workload 1,000 times (64 clients each, one change every 10 virtual ms) from scratch.
// `npx tsx bench/recording.ts` prints both and a few details.
import { pathToFileURL } from 'node:url';
import { validateScenario } from '../src/engine/sim/scenario';
import { decodeRecording, encodeRecording, encodeShareLink, MAX_TRACE_EVENTS, recordSession } from '../src/engine/session/recording';
import type { TimedAction } from '../src/engine/session/actions';
import { SimSession } from '../src/engine/session/simSession';

export interface RecordingBench {
  readonly recording_bytes_5min: number;
  readonly share_link_chars: number;
  /** Replaying the 5-minute session from its start: the cost of the longest backward seek. */
  readonly seek_back_5min_ms: number;
  readonly replay_ms_1000_workload_changes: number;
}

interface Details {
  readonly traceEvents: number;
  readonly checkpoints: number;
  readonly runSeconds: number;
  readonly encodeSeconds: number;
  readonly decodeSeconds: number;
}

const scenario = validateScenario({ program: 'kv-server', durationMs: 600_000 });

function measure(): RecordingBench & Details {
  const s = new SimSession({ scenario });
  s.maxTrace = MAX_TRACE_EVENTS; // as the page's Export does: the whole trace goes in the file
  let t0 = performance.now();
  s.runTo(1);
  s.act({ kind: 'workload', count: 2, perSecond: 20 });
  s.runTo(300_000);
  const runSeconds = (performance.now() - t0) / 1000;
  const rec = recordSession(s, '5 minutes of kv-server');
  t0 = performance.now();
  const bytes = encodeRecording(rec);
  const encodeSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  decodeRecording(bytes);
  const decodeSeconds = (performance.now() - t0) / 1000;
  return {
    recording_bytes_5min: bytes.length,
    share_link_chars: shareLinkChars(),
    seek_back_5min_ms: runSeconds * 1000,
    replay_ms_1000_workload_changes: replayWorkloadChanges(1000),
    traceEvents: rec.trace.length,
    checkpoints: rec.checkpoints.length,
    runSeconds,
    encodeSeconds,
    decodeSeconds,
  };
}

/** Ten actions of the kinds a learner takes: load, requests, a kill and a restart, a cut channel. */
function shareLinkChars(): number {
  const s = new SimSession({ scenario });
  const steps: [number, Parameters<SimSession['act']>[0]][] = [
    [50, { kind: 'workload', count: 2, perSecond: 20 }],
    [400, { kind: 'request', client: 1, text: 'PUT apple 3' }],
    [900, { kind: 'request', client: 1, text: 'GET apple' }],
    [1500, { kind: 'kill-primary' }],
    [2600, { kind: 'request', client: 1, text: 'GET apple' }],
    [3300, { kind: 'restart-backup' }],
    [5200, { kind: 'cut-channel', direction: 'both' }],
    [5900, { kind: 'heal' }],
    [7100, { kind: 'request', client: 1, text: 'PUT pear 9' }],
    [8000, { kind: 'workload', count: 0, perSecond: 20 }],
  ];
  for (const [at, a] of steps) {
    s.runTo(at);
    s.act(a);
  }
  s.runTo(9000);
  return encodeShareLink({ v: 1, chapter: null, step: null, spec: { scenario, source: null, noBackup: false }, actions: s.actions, at: s.now }).length;
}

/** Wall ms to replay `n` workload changes of 64 clients each, 10 virtual ms apart, to 100 ms past the last. */
export function replayWorkloadChanges(n: number): number {
  const actions: TimedAction[] = [];
  for (let i = 0; i < n; i++) actions.push({ at: 10 + i * 10, kind: 'workload', count: 64, perSecond: 20 });
  const t0 = performance.now();
  new SimSession({ scenario }, actions).runTo(10 + n * 10 + 100);
  return performance.now() - t0;
}

export function benchRecording(): RecordingBench {
  const m = measure();
  return {
    recording_bytes_5min: m.recording_bytes_5min,
    share_link_chars: m.share_link_chars,
    seek_back_5min_ms: m.seek_back_5min_ms,
    replay_ms_1000_workload_changes: m.replay_ms_1000_workload_changes,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const m = measure();
  console.log(
    `recording_bytes_5min  ${m.recording_bytes_5min} (${(m.recording_bytes_5min / 1e6).toFixed(2)} MB; ${m.traceEvents} trace events, ${m.checkpoints} checkpoints; ` +
      `simulated in ${m.runSeconds.toFixed(1)} s, encoded in ${m.encodeSeconds.toFixed(2)} s, decoded in ${m.decodeSeconds.toFixed(2)} s)`,
  );
  console.log(`share_link_chars      ${m.share_link_chars} (kv-server, 10 actions)`);
  console.log(`replay_ms_1000_workload_changes  ${m.replay_ms_1000_workload_changes.toFixed(0)} (64 clients each, 10 virtual ms apart)`);
  console.log(JSON.stringify({ recording_bytes_5min: m.recording_bytes_5min, share_link_chars: m.share_link_chars, replay_ms_1000_workload_changes: Math.round(m.replay_ms_1000_workload_changes) }));
}
