// What the stage draws, folded from the trace: which links are cut, who is dead, when each VM
// last heard its peer (the failure detector's countdown), the latest console and client lines —
// and, per event, the messages to animate along the stage's edges. Pure: no DOM, no clock.
import type { LogEntryKind } from '../../engine/ft/log';
import type { TraceEvent } from '../../engine/ft/trace';
import { clientNode, clientNumber, isClientNode, RecentMap } from '../../workers/pure';

/**
 * The speed a page opens at (virtual ms per wall ms): a failover (a 60–150 ms failure timeout)
 * takes several seconds to watch, as the tour's chapters do (20 virtual ms a second).
 */
export const HUMAN_SPEED = 0.02;

/** The stage's nodes: a VM by id, or one of the shared pieces. */
export type StageNode = string;
export const CLIENTS = 'clients';
export const SWITCH = 'switch';
export const STORAGE = 'storage';

/** Every kind of message the stage animates (tests find them by `data-msg`). */
export type MsgKind = 'entry' | 'ack' | 'heartbeat' | 'request' | 'reply' | 'disk-read' | 'disk-write' | 'disk-done' | 'tas-request' | 'tas-answer' | 'mac' | 'snapshot';
export const MSG_KINDS: readonly MsgKind[] = ['entry', 'ack', 'heartbeat', 'request', 'reply', 'disk-read', 'disk-write', 'disk-done', 'tas-request', 'tas-answer', 'mac', 'snapshot'];

/** A message to draw travelling from one node to another (via the switch for client traffic). */
export interface Flight {
  readonly kind: MsgKind;
  readonly from: StageNode;
  readonly to: StageNode;
  /** What a screen reader (and a test) hears: "log entry #12: timer". */
  readonly label: string;
  /** One letter drawn on the message. */
  readonly glyph: string;
  /** The log entry's kind, for colour. */
  readonly entryKind?: LogEntryKind;
  /** Dropped on the way: the link is cut or the receiver is dead; the message falls. */
  readonly drop: boolean;
  /** Rare messages (test-and-set, MAC, drops) are drawn even when the stage is crowded. */
  readonly important: boolean;
  /** The transport's id for it (`net/sent`), where the runtime traces one: the learner can drop it. */
  readonly id?: string;
  /** Virtual time it was put on the wire (messages with an id). */
  readonly t?: number;
}

/** Colour of each log entry kind (with its letter: never colour alone). */
export const ENTRY_COLOR: Record<LogEntryKind, string> = {
  packet: '#2563eb',
  timer: '#d97706',
  nondet: '#7c3aed',
  disk: '#0891b2',
  output: '#be185d',
  hash: '#475569',
  control: '#334155',
};

export const ENTRY_GLYPH: Record<LogEntryKind, { glyph: string; name: string }> = {
  packet: { glyph: 'P', name: 'packet' },
  timer: { glyph: 'T', name: 'timer interrupt' },
  nondet: { glyph: 'V', name: 'clock/random value' },
  disk: { glyph: 'D', name: 'disk completion' },
  output: { glyph: 'O', name: 'output' },
  hash: { glyph: 'H', name: 'hash check' },
  control: { glyph: 'C', name: 'control' },
};

export interface StageFold {
  /** Directed links that drop what is sent on them ("A>B", "A>storage", "A>clients"). */
  readonly blocked: Set<string>;
  readonly dead: Set<string>;
  readonly diverged: Set<string>;
  /** Virtual time each VM last heard its peer (inferred: see `heard`). */
  readonly lastHeard: Map<string, number>;
  /** Each VM's peer as the trace last showed it (the sender of log entries and acks). */
  readonly peer: Map<string, string>;
  /** Entry kinds by "vm:seq", to colour entries when they are flushed (bounded). */
  readonly entryKinds: RecentMap<string, LogEntryKind>;
  /** The last line each VM printed (its console, shown on the stage). */
  readonly lastConsole: Map<string, { line: string; open: boolean }>;
  lastRequest: string | null;
  lastReply: string | null;
  /** Which client sent `lastRequest` and got `lastReply` (see `clientName`). */
  lastRequestClient: number | null;
  lastReplyClient: number | null;
  tasHolder: string | null;
  /** Virtual time of the last fault, test-and-set answer or go-live (slow motion keys on it). */
  lastMoment: number;
  lastMomentText: string;
  /**
   * The runtime traces its messages (`net/sent` with an id, then `net/delivered` or `net/dropped`):
   * the stage draws exactly those, instead of inferring them from protocol events.
   */
  netIds: boolean;
  /** Messages on the wire now, by id (bounded): shown while the clock is paused, to be dropped. */
  readonly inFlight: RecentMap<string, Flight>;
  /** The request text each client sent last (a request's label when its frame goes out). */
  readonly requestText: Map<string, string>;
}

export function emptyFold(): StageFold {
  return {
    blocked: new Set(),
    dead: new Set(),
    diverged: new Set(),
    lastHeard: new Map(),
    peer: new Map(),
    entryKinds: new RecentMap(ENTRY_KINDS_KEPT),
    lastConsole: new Map(),
    lastRequest: null,
    lastReply: null,
    lastRequestClient: null,
    lastReplyClient: null,
    tasHolder: null,
    lastMoment: -Infinity,
    lastMomentText: '',
    netIds: false,
    inFlight: new RecentMap(IN_FLIGHT_KEPT),
    requestText: new Map(),
  };
}

const ENTRY_KINDS_KEPT = 4096;
const IN_FLIGHT_KEPT = 256;
const MAX_ENTRIES_PER_BATCH = 4;

function dropped(f: StageFold, from: string, to: string): boolean {
  return f.blocked.has(`${from}>${to}`) || f.dead.has(to) || f.dead.has(from);
}

/** A VM heard its peer at `t` (used for the failure-detection countdown). */
function heard(f: StageFold, vm: string, t: number): void {
  f.lastHeard.set(vm, Math.max(f.lastHeard.get(vm) ?? -Infinity, t));
}

function block(f: StageFold, a: string, b: string): void {
  f.blocked.add(`${a}>${b}`);
  f.blocked.add(`${b}>${a}`);
}

/** Fold a fault's detail text into the link state (the same words in both runtimes). */
function foldFault(f: StageFold, ev: Extract<TraceEvent, { type: 'fault' }>): void {
  const d = ev.detail;
  if (ev.kind === 'heal') {
    f.blocked.clear();
    return;
  }
  const cut = /cut the logging channel.*between (\w+) and (\w+)/.exec(d);
  if (cut) {
    const [, p, b] = cut as unknown as [string, string, string];
    if (!/to-primary/.test(d)) f.blocked.add(`${p}>${b}`);
    if (!/to-backup/.test(d)) f.blocked.add(`${b}>${p}`);
    return;
  }
  const storage = /partitioned (\w+) from shared storage/.exec(d);
  if (storage) return block(f, storage[1]!, STORAGE);
  const clients = /partitioned (\w+) from the clients/.exec(d);
  if (clients) {
    block(f, clients[1]!, SWITCH);
    block(f, clients[1]!, CLIENTS);
  }
}

const clip = (s: string, n = 28): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const isClient = isClientNode;

/** What the stage draws for one traced message (`net/sent`): its kind, route, label and letter. */
function wireFlight(f: StageFold, ev: Extract<TraceEvent, { type: 'net/sent' }>): Flight {
  const again = ev.retransmit ? ' (resent)' : '';
  const base = { id: ev.id, t: ev.t, drop: false, important: false, from: ev.from, to: ev.to };
  switch (ev.msg) {
    case 'log': {
      if (ev.label === 'heartbeat') return { ...base, kind: 'heartbeat', glyph: '♥', label: `heartbeat from ${ev.from} to ${ev.to}${again}` };
      const m = /^#(\d+)(?:–(\d+))?$/.exec(ev.label);
      const to = m ? Number(m[2] ?? m[1]) : 0;
      const from = m ? Number(m[1]) : 0;
      const kinds: string[] = [];
      for (let s = Math.max(from, to - 3); s <= to; s++) {
        const k = ENTRY_GLYPH[f.entryKinds.get(`${ev.from}:${s}`) ?? 'control'].name;
        if (!kinds.includes(k)) kinds.push(k);
      }
      const k = f.entryKinds.get(`${ev.from}:${to}`) ?? 'control';
      const what = from === to ? `log entry ${ev.label}` : `log entries ${ev.label}`;
      return { ...base, kind: 'entry', entryKind: k, glyph: ENTRY_GLYPH[k].glyph, label: `${what}: ${kinds.join(', ')}${again}` };
    }
    case 'ack':
      return ev.label.startsWith('heartbeat')
        ? { ...base, kind: 'heartbeat', glyph: '♥', label: `heartbeat from ${ev.from} to ${ev.to} (${ev.label.replace('heartbeat ', '')})${again}` }
        : { ...base, kind: 'ack', glyph: '✓', label: `${ev.label} from ${ev.from}${again}` };
    case 'snapshot':
      return { ...base, kind: 'snapshot', glyph: 'S', important: true, label: `snapshot of ${ev.from} for new backup ${ev.to}${again}` };
    case 'frame':
      if (isClient(ev.from)) {
        const text = f.requestText.get(ev.from);
        const who = `client ${clientNumber(ev.from)}`;
        return { ...base, kind: 'request', from: CLIENTS, glyph: 'Q', label: `request from ${who}${text ? `: ${text}` : ''}` };
      }
      return { ...base, kind: 'reply', to: CLIENTS, glyph: 'R', label: `reply from ${ev.from} to client ${clientNumber(ev.to)}` };
    case 'advertise':
      return { ...base, kind: 'mac', glyph: 'M', important: true, label: `MAC advertisement: the service is at ${ev.from}` };
    case 'disk':
      return ev.label.startsWith('write')
        ? { ...base, kind: 'disk-write', glyph: 'W', label: `disk ${ev.label} from ${ev.from}${again}` }
        : { ...base, kind: 'disk-read', glyph: 'D', label: `disk ${ev.label} from ${ev.from}${again}` };
    case 'disk-done':
      return { ...base, kind: 'disk-done', glyph: 'd', label: `${ev.label} for ${ev.to}${again}` };
    case 'tas':
      return { ...base, kind: 'tas-request', glyph: '?', important: true, label: `test-and-set request from ${ev.from}${again}` };
    case 'tas-result':
      return { ...base, kind: 'tas-answer', glyph: ev.label === 'won' ? '✔' : '✖', important: true, label: `test-and-set answer: ${ev.to} ${ev.label}${again}` };
  }
}

const DROP_WHY: Record<Extract<TraceEvent, { type: 'net/dropped' }>['why'], string> = {
  cut: 'the link is cut',
  dead: 'no one alive to receive it',
  loss: 'lost on the network',
  learner: 'you dropped it',
};

/**
 * Fold a batch of trace events into `f`; return the messages they put on the wire. `macOwner`
 * says where the switch sends a client's request.
 */
export function foldEvents(f: StageFold, events: readonly TraceEvent[], ctx: { macOwner: string | null; peerOf?: (vm: string) => string | null }): Flight[] {
  const macOwner = ctx.macOwner;
  const peerOf = (vm: string): string | undefined => ctx.peerOf?.(vm) ?? f.peer.get(vm);
  const out: Flight[] = [];
  // Where messages arrive with ids in this batch (a drop in the same batch replaces its send).
  const sentAt = new Map<string, number>();
  if (!f.netIds && events.some((e) => e.type === 'net/sent')) f.netIds = true;
  const send = (kind: MsgKind, from: string, to: string, label: string, glyph: string, extra: Partial<Flight> = {}): void => {
    if (f.netIds) return;
    const drop = dropped(f, from, to);
    out.push({ kind, from, to, label: drop ? `dropped ${label}` : label, glyph, drop, important: drop || kind === 'tas-request' || kind === 'tas-answer' || kind === 'mac' || kind === 'snapshot', ...extra });
  };
  for (const ev of events) {
    switch (ev.type) {
      case 'net/sent': {
        f.netIds = true;
        const fl = wireFlight(f, ev);
        f.inFlight.set(ev.id, fl);
        sentAt.set(ev.id, out.length);
        out.push(fl);
        break;
      }
      case 'net/delivered':
        f.inFlight.delete(ev.id);
        break;
      case 'net/dropped': {
        const fl = f.inFlight.get(ev.id);
        f.inFlight.delete(ev.id);
        if (!fl) break;
        const fell: Flight = { ...fl, drop: true, important: true, label: `dropped ${fl.label}: ${DROP_WHY[ev.why]}` };
        const i = sentAt.get(ev.id);
        if (i !== undefined) out[i] = fell;
        else out.push(fell);
        break;
      }
      case 'entry/appended':
        f.entryKinds.set(`${ev.vm}:${ev.seq}`, ev.kind);
        break;
      case 'entry/flushed': {
        const to = peerOf(ev.vm);
        if (!to) break;
        // One message per entry (the last few of a big batch): colour and letter by kind.
        const first = Math.max(ev.fromSeq, ev.toSeq - MAX_ENTRIES_PER_BATCH + 1);
        for (let s = first; s <= ev.toSeq; s++) {
          const k = f.entryKinds.get(`${ev.vm}:${s}`) ?? 'control';
          const g = ENTRY_GLYPH[k];
          send('entry', ev.vm, to, `log entry #${s}: ${g.name}`, g.glyph, { entryKind: k });
        }
        break;
      }
      case 'entry/received': {
        // The backup acknowledges on receipt (FT paper §2.2): the ack leaves now.
        const to = peerOf(ev.vm);
        heard(f, ev.vm, ev.t);
        if (to) {
          send('ack', ev.vm, to, `ack #${ev.toSeq}`, '✓');
          if (!dropped(f, ev.vm, to)) heard(f, to, ev.t);
        }
        break;
      }
      case 'heartbeat': {
        f.peer.set(ev.vm, ev.to);
        f.peer.set(ev.to, ev.vm);
        send('heartbeat', ev.vm, ev.to, `heartbeat from ${ev.vm} to ${ev.to}`, '♥');
        // A backup's heartbeat answers one it just received; a delivered one resets the peer's countdown.
        if (!dropped(f, ev.vm, ev.to)) heard(f, ev.to, ev.t);
        break;
      }
      case 'entry/acked':
        heard(f, ev.vm, ev.t);
        break;
      case 'client/invoke':
        if (ev.client < 100) {
          f.lastRequest = `#${ev.reqId} ${clip(ev.text)}`;
          f.lastRequestClient = ev.client;
        }
        f.requestText.set(clientNode(ev.client), `#${ev.reqId} ${clip(ev.text)}`);
        if (f.requestText.size > 64) f.requestText.delete(f.requestText.keys().next().value!);
        if (f.netIds) break;
        if (macOwner) send('request', CLIENTS, macOwner, `request #${ev.reqId} from client ${ev.client}: ${clip(ev.text)}`, 'Q');
        else out.push({ kind: 'request', from: CLIENTS, to: SWITCH, label: `dropped request #${ev.reqId}: no VM owns the service MAC`, glyph: 'Q', drop: true, important: true });
        break;
      case 'client/reply':
        if (ev.client < 100) {
          f.lastReply = `#${ev.reqId} ${clip(ev.text)} (from ${ev.from})${ev.duplicate ? ' dup' : ''}`;
          f.lastReplyClient = ev.client;
        }
        break;
      case 'client/timeout':
        if (ev.client < 100) {
          f.lastReply = `#${ev.reqId} no reply (timed out)`;
          f.lastReplyClient = ev.client;
        }
        break;
      case 'output/released':
        if (ev.output === 'net') send('reply', ev.vm, CLIENTS, `reply (output #${ev.seq}) from ${ev.vm}`, 'R');
        else send('disk-write', ev.vm, STORAGE, `disk write (output #${ev.seq}) from ${ev.vm}`, 'W');
        break;
      case 'storage/disk':
        if (ev.op === 'read') send('disk-read', STORAGE, ev.from, `disk read of block ${ev.block} for ${ev.from}`, 'D');
        break;
      case 'io/reissued':
        send(ev.op === 'read' ? 'disk-read' : 'disk-write', ev.vm, STORAGE, `re-issued disk ${ev.op} of block ${ev.block}`, ev.op === 'read' ? 'D' : 'W');
        break;
      case 'tas/requested':
        send('tas-request', ev.vm, STORAGE, `test-and-set request from ${ev.vm}`, '?');
        break;
      case 'tas/won':
        send('tas-answer', STORAGE, ev.vm, `test-and-set answer: ${ev.vm} won`, '✔');
        f.lastMoment = ev.t;
        f.lastMomentText = `${ev.vm} won test-and-set`;
        break;
      case 'tas/lost':
        send('tas-answer', STORAGE, ev.vm, `test-and-set answer: ${ev.vm} lost (held by ${ev.holder ?? '?'})`, '✖');
        f.lastMoment = ev.t;
        f.lastMomentText = `${ev.vm} lost test-and-set`;
        break;
      case 'storage/tas':
        f.tasHolder = ev.holder;
        break;
      case 'mac/advertised':
        send('mac', ev.vm, SWITCH, `MAC advertisement: the service is at ${ev.vm}`, 'M');
        break;
      case 'snapshot/sent':
        f.peer.set(ev.vm, ev.to);
        f.peer.set(ev.to, ev.vm);
        send('snapshot', ev.vm, ev.to, `snapshot of ${ev.vm} for new backup ${ev.to}`, 'S');
        heard(f, ev.to, ev.t);
        heard(f, ev.vm, ev.t);
        break;
      case 'vm/went-live':
        f.lastMoment = ev.t;
        f.lastMomentText = `${ev.vm} went live`;
        break;
      case 'vm/role':
        if (ev.role === 'dead') f.dead.add(ev.vm);
        if (ev.reason === 'started' || !f.lastHeard.has(ev.vm)) heard(f, ev.vm, ev.t);
        break;
      case 'divergence':
        f.diverged.add(ev.vm);
        break;
      case 'console': {
        // eslint-disable-next-line no-control-regex
        const text = ev.text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
        if (text === '') break;
        const prev = f.lastConsole.get(ev.vm) ?? { line: '', open: false };
        const lines = ((prev.open ? prev.line : '') + text).split('\n');
        const open = lines[lines.length - 1] !== '';
        const last = open ? lines[lines.length - 1]! : (lines[lines.length - 2] ?? '');
        f.lastConsole.set(ev.vm, { line: last.slice(-60), open });
        break;
      }
      case 'fault':
        foldFault(f, ev);
        f.lastMoment = ev.t;
        f.lastMomentText = ev.detail;
        if (/^killed (\w+)$/.test(ev.detail)) f.dead.add(ev.detail.slice('killed '.length));
        break;
      default:
        break;
    }
  }
  return out;
}

/** How long the failure detector of `vm` has heard nothing, against its timeout (0…1, 1 = suspects). */
export function silence(f: StageFold, vm: string, now: number, timeoutMs: number): { silentMs: number; fraction: number } {
  const last = f.lastHeard.get(vm);
  const silentMs = last === undefined ? 0 : Math.max(0, now - last);
  return { silentMs, fraction: Math.min(1, silentMs / Math.max(1e-9, timeoutMs)) };
}

/** The client the terminal types as (`LabController.request(text, id = 1)`). */
export const TERMINAL_CLIENT = 1;

/**
 * Who a client is in the Clients box: "you" for the terminal's own client; in the tour the
 * chapter scripts client 1 too, so there every client goes by its number.
 */
export function clientName(client: number | null, inTour: boolean): string {
  if (client === null) return inTour ? 'a client' : 'you';
  return client === TERMINAL_CLIENT && !inTour ? 'you' : `client ${client}`;
}

/** What the stage needs of a VM to place it. */
export interface SlotVm {
  readonly id: string;
  readonly role: string;
  readonly peer: string | null;
}

const living = (v: SlotVm): boolean => v.role !== 'dead' && v.role !== 'halted';
const serving = (v: SlotVm): boolean => v.role === 'primary' || v.role === 'live';

/**
 * The VMs the two slots should show, most wanted first: the VM serving the clients (the service
 * MAC's owner first) and its backup, then the other living VMs. Dead and halted ones are not wanted.
 */
export function wantedOnStage(vms: readonly SlotVm[], macOwner: string | null = null): SlotVm[] {
  const alive = vms.filter(living);
  const rank = (v: SlotVm): number => (v.id === macOwner ? 0 : v.role === 'primary' ? 1 : 2);
  const out: SlotVm[] = [];
  const add = (v: SlotVm | undefined): void => {
    if (v && !out.includes(v)) out.push(v);
  };
  for (const v of alive.filter(serving).sort((a, b) => rank(a) - rank(b))) {
    add(v);
    add(alive.find((p) => p.id === v.peer));
  }
  alive.forEach(add);
  return out;
}

/**
 * Which slot (0 left, 1 right) each VM occupies. The current pair (see `wantedOnStage`) always
 * has slots; a VM keeps its slot while it can, so nothing jumps; a dead or halted VM stays where
 * it fell until a living VM needs its slot. A newcomer sits opposite its peer, else at its home
 * slot (its place in creation order: A left, B right), so a fresh stage reads the same as one that
 * watched the whole run.
 */
export function assignSlots(prev: ReadonlyMap<string, number>, vms: readonly SlotVm[], macOwner: string | null = null): Map<string, number> {
  const next = new Map<string, number>();
  const home = (v: SlotVm): number => vms.indexOf(v) % 2;
  const taken = (s: number): boolean => [...next.values()].includes(s);
  const want = wantedOnStage(vms, macOwner).slice(0, 2);
  for (const v of want) {
    const s = prev.get(v.id);
    if (s !== undefined) next.set(v.id, s);
  }
  for (const v of want) {
    if (next.has(v.id)) continue;
    const opposite = v.peer !== null && next.has(v.peer) ? 1 - next.get(v.peer)! : undefined;
    const s = [opposite, home(v), 0, 1].find((c) => c !== undefined && !taken(c));
    if (s !== undefined) next.set(v.id, s);
  }
  // Slots left over: whoever held them keeps them; an empty one takes a VM whose home it is.
  for (const v of vms) {
    const s = prev.get(v.id);
    if (!next.has(v.id) && s !== undefined && !taken(s)) next.set(v.id, s);
  }
  for (const s of [0, 1]) {
    if (taken(s)) continue;
    const v = vms.find((x) => !next.has(x.id) && home(x) === s) ?? vms.find((x) => !next.has(x.id));
    if (v) next.set(v.id, s);
  }
  return next;
}

/** Whether the logging channel between two VMs is in use: a primary or backup whose peer is the other. */
export function channelInUse(a: SlotVm | undefined, b: SlotVm | undefined): boolean {
  if (!a || !b) return false;
  const logs = (p: SlotVm, q: SlotVm): boolean => (p.role === 'primary' || p.role === 'backup') && p.peer === q.id;
  return logs(a, b) || logs(b, a);
}

/**
 * The words on the logging channel's two lanes (left to right, right to left). A live VM has no
 * backup and logs nothing (FT paper §2.3): the channel idles until Restart backup gives it one.
 */
export function laneWords(left: SlotVm | undefined, right: SlotVm | undefined, vms: readonly SlotVm[]): [string, string] {
  // Each lane by its sender: the primary logs, the backup acks; a live, dead or halted VM is silent.
  const sends = (v: SlotVm): string => (v.role === 'primary' ? 'log entries, heartbeats' : v.role === 'backup' ? 'acks, heartbeats' : `${v.id} ${v.role}: silent`);
  if (left && right && channelInUse(left, right)) return [`${sends(left)} ▸`, `◂ ${sends(right)}`];
  return vms.some((v) => v.role === 'live') ? ['no backup —', 'nothing to log to'] : ['not in use:', 'no primary and backup'];
}

/** The log buffer's caption: the primary's entries to send, the backup's to replay; a live VM logs nothing. */
export function bufferTitle(v: SlotVm & { readonly buffer: readonly unknown[]; readonly bufferCapacity: number }): string {
  const n = `${v.buffer.length}/${v.bufferCapacity}`;
  if (v.role === 'backup') return `log buffer (received, to replay) ${n}`;
  if (v.role === 'primary') return `log buffer (to send) ${n}`;
  if (v.role === 'live') return 'log buffer: not logging (no backup)';
  return `log buffer (stopped) ${n}`;
}

/** Characters of the stage's monospace text that fit inside the Clients box. */
const BOX_CHARS = 15;

/** `text` in at most `max` lines that fit the Clients box; an ellipsis says when some was left out. */
export function boxLines(text: string, max: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length && lines.length < max; i += BOX_CHARS) lines.push(text.slice(i, i + BOX_CHARS));
  if (text.length > BOX_CHARS * max) lines[max - 1] = `${lines[max - 1]!.slice(0, BOX_CHARS - 1)}…`;
  return lines;
}
