// "What you should see", in a learner's words ("B won test-and-set"), from a step's expectation
// (which the tests match against the trace as `type` + a fragment of the event's JSON).
import type { Expectation } from '../engine/tour/types';

const CHECKER: Record<string, string> = { outputRequirement: 'Output Requirement', splitBrain: 'Split brain', replay: 'Replay' };
const ENTRY: Record<string, string> = { packet: 'packet', timer: 'timer interrupt', nondet: 'clock/random value', disk: 'disk completion', output: 'output', hash: 'hash check', control: 'control' };

/** The fields an expectation's text names (`"holder":"B"` → {holder: 'B'}); {} if it is not JSON. */
function fields(text: string | undefined): Record<string, unknown> {
  if (!text || !text.includes('":')) return {};
  try {
    const v: unknown = JSON.parse(`{${text}}`);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const what = (output: unknown, to?: unknown): string => (output === 'disk-write' ? 'a disk write' : output === 'net' ? `a reply${typeof to === 'string' && to.startsWith('client-') ? ` to client ${to.slice(7)}` : ''}` : 'an output');

function eventText(type: string, vm: string | undefined, text: string | undefined): string {
  const f = fields(text);
  const who = vm ?? 'a VM';
  switch (type) {
    case 'client/reply': {
      const body = typeof f.text === 'string' ? ` “${f.text}”` : '';
      return `a client got the reply${body}${typeof f.from === 'string' ? ` from ${f.from}` : ''}`;
    }
    case 'client/timeout':
      return `${typeof f.client === 'number' ? `client ${f.client}` : 'a client'} gave up waiting: no reply`;
    case 'vm/went-live':
      return typeof f.consumedSeq === 'number' ? `${who} went live after replaying every entry up to #${f.consumedSeq}` : `${who} went live`;
    case 'tas/won':
      return `${who} won test-and-set`;
    case 'tas/lost':
      return `${who} lost test-and-set${typeof f.holder === 'string' ? ` (${f.holder} holds it)` : ''} and halted`;
    case 'tas/requested':
      return `${who} asked shared storage for test-and-set`;
    case 'storage/tas':
      return 'holder' in f ? (f.holder === null ? 'the test-and-set word was cleared' : `the test-and-set word now names ${String(f.holder)}`) : 'the test-and-set word changed';
    case 'storage/disk':
      return `${typeof f.from === 'string' ? f.from : 'a VM'} ${f.op === 'read' ? 'read' : f.op === 'write' ? 'wrote' : 'used'} disk block ${typeof f.block === 'number' ? f.block : '?'} on shared storage`;
    case 'snapshot/sent':
      return `${who} sent a snapshot of itself${typeof f.to === 'string' ? ` to new backup ${f.to}` : ''}`;
    case 'output/released': {
      let s = `${who} let ${typeof f.seq === 'number' ? `output #${f.seq} (${what(f.output, f.to)})` : what(f.output, f.to)} out`;
      if (f.role === 'live') s += ' while live';
      if (f.delayMs === 0) s += ' without waiting';
      if (typeof f.ackedSeq === 'number' && typeof f.seq === 'number' && f.ackedSeq < f.seq) s += ` before the backup acknowledged it (acked only up to #${f.ackedSeq})`;
      return s;
    }
    case 'output/held':
      return `${who} held ${typeof f.seq === 'number' ? `output #${f.seq}, ` : ''}${what(f.output, f.to)}, until the backup acknowledges it`;
    case 'output/suppressed':
      return `${who}'s ${f.output === 'disk-write' ? 'disk write' : f.output === 'net' ? 'reply' : 'output'}${typeof f.seq === 'number' ? ` #${f.seq}` : ''} went nowhere (a backup's outputs are suppressed)`;
    case 'mac/advertised':
      return `${who} advertised the service MAC: the switch sends clients to it`;
    case 'fault':
      if (text === 'kill-primary' || text === 'kill-backup') return `the ${text.slice(5)} was killed`;
      if (text?.startsWith('killed ')) return `${text.slice(7)} was killed`;
      if (text === 'slow-channel') return 'the logging channel was slowed down';
      if (text === 'slow-backup') return 'the backup was slowed down';
      if (text?.startsWith('cut the logging channel')) return `the logging channel was cut${text.includes('both ways') ? ' both ways' : ''}`;
      return `the fault “${text ?? 'any'}”`;
    case 'failure/suspected':
      return `${who} suspected ${typeof f.peer === 'string' ? f.peer : 'its peer'} had failed (silence past the timeout)`;
    case 'entry/replayed': {
      const kind = typeof f.kind === 'string' ? `a ${ENTRY[f.kind] ?? f.kind} entry` : 'log entries';
      const at = typeof f.atIcount === 'number' ? ` at icount ${f.atIcount}` : '';
      return `${who} replayed ${kind}${at}${f.icount === f.atIcount && at ? ', the icount it was logged at' : ''}`;
    }
    case 'input/delivered':
      return `${who} took an interrupt${typeof f.icount === 'number' ? ` at icount ${f.icount}` : ''}`;
    case 'io/reissued':
      return `${who} re-issued the pending disk ${typeof f.op === 'string' ? f.op : 'operation'}${typeof f.block === 'number' ? ` of block ${f.block}` : ''}`;
    case 'vm/stall':
      if (text === 'log-full') return `${who} stalled: its log buffer is full`;
      if (text === 'log-empty') return `${who} waited for the log`;
      if (text === 'paused') return `${who} was paused`;
      if ('reason' in f && f.reason === null) return `${who} ran on again`;
      return `${who} stalled`;
    case 'vm/throttle':
      return typeof f.cpu === 'number' ? `${who}'s CPU share cut to ${Math.round(f.cpu * 100)}%` : `${who} was slowed down`;
    case 'entry/appended': {
      const kind = typeof f.kind === 'string' ? `a ${ENTRY[f.kind] ?? f.kind} entry` : 'an entry';
      return `${who} logged ${kind}${typeof f.icount === 'number' ? ` at icount ${f.icount}` : ''}`;
    }
    case 'entry/flushed':
      return `${who} sent log entries on the logging channel`;
    case 'entry/received':
      return `${who} received log entries`;
    case 'entry/acked':
      return `${who} got an acknowledgement from its backup`;
    case 'heartbeat':
      return `${who} sent a heartbeat`;
    case 'console':
      return `${who} printed${typeof f.text === 'string' ? ` “${f.text.trim()}”` : ' something'}`;
    case 'divergence':
      return `${who} diverged from the primary`;
    case 'vm/role':
      return `${who} became ${typeof f.role === 'string' ? f.role : 'something else'}`;
    case 'vm/fault':
      return `${who}'s guest program faulted`;
    case 'client/invoke':
      return `a client sent a request${typeof f.text === 'string' ? ` “${f.text}”` : ''}`;
    default:
      return `${who}: ${type.replace('/', ' ')}`;
  }
}

const NONE: Record<string, string> = {
  'vm/went-live': 'went live',
  'output/held': 'held an output',
  divergence: 'diverged',
  'vm/throttle': 'was slowed down',
  'vm/stall': 'stalled',
  'tas/requested': 'asked for test-and-set',
  'output/released': 'let an output out',
  fault: 'was hit by a fault',
  'failure/suspected': 'suspected a failure',
  console: 'printed anything',
};

export function learnerText(e: Expectation): string {
  switch (e.kind) {
    case 'event':
      return eventText(e.type, e.vm, e.text);
    case 'no-event': {
      const verb = NONE[e.type] ?? `had a ${e.type} event`;
      if (e.type === 'console' && e.vm) return `${e.vm} printed nothing`;
      if (e.type === 'fault' && !e.vm) return 'no fault happened';
      return e.vm ? `${e.vm} never ${verb}` : `no VM ${verb}`;
    }
    case 'verdict':
      return `the ${CHECKER[e.which] ?? e.which} checker ${e.ok ? 'passes ✔' : 'fails ✖'}`;
    case 'role':
      return `VM ${e.vm} is ${e.role === 'live' ? 'live (alone)' : e.role}`;
  }
}
