// "What you should see", in a learner's words ("B won test-and-set"), from a step's expectation
// (which the tests match against the trace's events on their fields: an EventPattern).
import type { EventPattern, Expectation } from '../engine/tour/types';
import { clientNumber, isClientNode } from '../workers/pure';

const CHECKER: Record<string, string> = { outputRequirement: 'Output Requirement', splitBrain: 'Split brain', replay: 'Replay' };
const ENTRY: Record<string, string> = { packet: 'packet', timer: 'timer interrupt', nondet: 'clock/random value', disk: 'disk completion', output: 'output', hash: 'hash check', control: 'control' };

type Fields = Readonly<Record<string, unknown>>;

/** The fields a pattern names with one value (`{holder: 'B'}`); a predicate is read where it helps (`either`, `containing`). */
function fields(p: EventPattern): Fields {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => typeof v !== 'object' || v === null));
}

/** The text a string field must contain or equal, for quoting it. */
function textOf(p: EventPattern, key: string): string | undefined {
  const v = (p as Fields)[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && 'includes' in v && typeof v.includes === 'string') return v.includes;
  return undefined;
}

/** The number a numeric field must equal or be near. */
function numberOf(p: EventPattern, key: string): number | undefined {
  const v = (p as Fields)[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'near' in v && typeof v.near === 'number') return v.near;
  return undefined;
}

/** A field's alternatives, `A or B`, when the pattern gives `oneOf`. */
function either(p: EventPattern, key: string): string | undefined {
  const v = (p as Fields)[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && 'oneOf' in v && Array.isArray(v.oneOf)) return v.oneOf.map(String).join(' or ');
  return undefined;
}

const FAULT: Record<string, string> = {
  'kill-primary': 'the primary was killed',
  'kill-backup': 'the backup was killed',
  kill: 'a VM was killed',
  'slow-channel': 'the logging channel was slowed down',
  'slow-backup': 'the backup was slowed down',
  'cut-channel': 'the logging channel was cut',
  'power-off': 'the primary was powered off',
};

const what = (output: unknown, to?: unknown): string => (output === 'disk-write' ? 'a disk write' : output === 'net' ? `a reply${typeof to === 'string' && isClientNode(to) ? ` to client ${clientNumber(to)}` : ''}` : 'an output');

function eventText(p: EventPattern): string {
  const f = fields(p);
  const who = either(p, 'vm') ?? 'a VM';
  switch (p.type) {
    case 'client/reply': {
      const text = textOf(p, 'text');
      const body = text !== undefined ? ` “${text}”` : '';
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
    case 'fault': {
      const detail = textOf(p, 'detail');
      if (detail?.startsWith('killed ')) return `${detail.slice(7)} was killed`;
      if (f.kind === 'cut-channel') return `the logging channel was cut${detail?.includes('both ways') ? ' both ways' : ''}`;
      const kind = either(p, 'kind');
      return typeof f.kind === 'string' && FAULT[f.kind] ? FAULT[f.kind]! : kind ? `the fault ${kind}` : 'a fault';
    }
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
      if (f.reason === 'log-full') return `${who} stalled: its log buffer is full`;
      if (f.reason === 'log-empty') return `${who} waited for the log`;
      if (f.reason === 'paused') return `${who} was paused`;
      if (f.reason === 'waiting-tas') return `${who} waited for test-and-set`;
      if ('reason' in f && f.reason === null) return `${who} ran on again`;
      return `${who} stalled`;
    case 'vm/throttle': {
      const cpu = numberOf(p, 'cpu');
      return cpu !== undefined ? `${who}'s CPU share set to ${Math.round(cpu * 100)}%` : `${who} was slowed down`;
    }
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
    case 'console': {
      const text = textOf(p, 'text');
      return `${who} printed${text !== undefined ? ` “${text.trim()}”` : ' something'}`;
    }
    case 'divergence':
      return `${who} diverged from the primary${typeof f.icount === 'number' ? ` at icount ${f.icount}` : ''}`;
    case 'vm/role':
      return `${who} became ${typeof f.role === 'string' ? f.role : 'something else'}`;
    case 'vm/fault':
      return `${who}'s guest program faulted`;
    case 'client/invoke': {
      const text = textOf(p, 'text');
      return `a client sent a request${text !== undefined ? ` “${text}”` : ''}`;
    }
    default:
      return `${who}: ${p.type.replace('/', ' ')}`;
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
      return eventText(e.event);
    case 'no-event': {
      const type = e.event.type;
      const vm = either(e.event, 'vm');
      const verb = NONE[type] ?? `had a ${type} event`;
      if (type === 'console' && vm) return `${vm} printed nothing`;
      if (type === 'fault') return 'no fault happened';
      return vm ? `${vm} never ${verb}` : `no VM ${verb}`;
    }
    case 'verdict':
      return `the ${CHECKER[e.which] ?? e.which} checker ${e.ok ? 'passes ✔' : 'fails ✖'}`;
    case 'role':
      return `VM ${e.vm} is ${e.role === 'live' ? 'live (alone)' : e.role}`;
  }
}
