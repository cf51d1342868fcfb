// The page's store (zustand): what the UI shows of the FT lab. The lab itself (workers, realm)
// lives outside React; this module connects it, polls VM views once per frame and turns the
// trace into the few things panels subscribe to. Console text goes to xterm imperatively.
import { create, type StateCreator } from 'zustand';
import type { NondetSource } from '../engine/ft/hypervisor';
import type { TraceEvent } from '../engine/ft/trace';
import { PROGRAM_SOURCES, assembleProgram, type ProgramName } from '../engine/programs/index';
import { validateScenario } from '../engine/sim/scenario';
import type { ChapterPlayer, Phase } from '../engine/tour/player';
import type { PanelId } from '../engine/tour/types';
import { FtLab, type LabVerdicts } from '../workers/ftLab';
import type { LabController } from '../workers/labController';
import type { VmInspect } from '../workers/protocol';
import { ConsoleChunk, notShown } from '../workers/flow';
import { SimLab, type SimLabEvent, type SimLabOptions } from '../workers/simLab';
import { describeEvent } from './describe';
import { completedOperations } from './verdictView';

/** Which runtime drives the lab: real Web Workers, or the deterministic simulator (recordable). */
export type Runtime = 'workers' | 'simulator';

/** The tour's position, mirrored from the ChapterPlayer for the panels. */
export interface TourState {
  readonly chapterId: string;
  readonly step: number;
  readonly phase: Phase;
  readonly choice: number | null;
  /** The panels the current step points at. */
  readonly highlight: readonly string[];
}

export interface ClientLine {
  readonly id: number;
  readonly dir: 'req' | 'rep' | 'timeout';
  readonly reqId: number;
  readonly text: string;
  readonly from?: string;
  readonly t: number;
}

export interface FeedLine {
  readonly t: number;
  readonly text: string;
  readonly tone: 'info' | 'warn' | 'bad' | 'good';
}

export interface Switches {
  readonly outputRule: boolean;
  readonly testAndSet: boolean;
  readonly unlogged: readonly NondetSource[];
}

export const SAFE_SWITCHES: Switches = { outputRule: true, testAndSet: true, unlogged: [] };

/** What the run is: program, switches, speed, workload (changed by the controls). */
export interface SessionSlice {
  switches: Switches;
  /** The source of a program written in the editor, when one is running. */
  customSource: string | null;
  program: ProgramName;
  running: boolean;
  speed: number;
  workload: number;
  /** Requests per virtual second each automatic client aims for. */
  workloadRate: number;
  errors: readonly string[];
  /** Start of the memory window the VM panels show. */
  memAddr: number;
  runtime: Runtime;
  /** The simulator session: where a loaded recording ends, a seek under way, how many actions. */
  recording: { endMs: number | null; seeking: number | null; actions: number; title: string | null };
  tour: TourState | null;
  /** A one-off message for the learner (a fork, the end of a recording, an import error). Sticky: kept when a lab (re)starts. */
  notice: { text: string; tone: 'info' | 'bad'; sticky?: boolean } | null;
  presenter: boolean;
  /** Presenter mode's focus outside the tour: one panel, or null for all. */
  focusPanel: PanelId | null;
}

/** What the VMs look like, polled once per frame. */
export interface VmsSlice {
  vms: readonly VmInspect[];
  verdicts: LabVerdicts | null;
  macOwner: string | null;
  /** Shared-storage blocks written so far. */
  diskBlocks: number;
  /** Increments once per animation frame while the lab runs: views that draw the trace redraw on it. */
  frame: number;
  /** The lab's virtual time (ms) at the last frame. */
  virtualNow: number;
  /** Frames the switch dropped, where the runtime counts them. */
  framesDropped: number;
  /** Client operations completed with a reply, counted when the verdicts were (the Output Requirement rests on them). */
  completedOps: number;
}

/** What the trace said, folded per frame into the few things panels show. */
export interface TraceSlice {
  client: readonly ClientLine[];
  feed: readonly FeedLine[];
  tasHolder: string | null;
  channel: { entries: number; bytes: number; acks: number; heartbeats: number };
}

export type LabState = SessionSlice & VmsSlice & TraceSlice;

const createSessionSlice: StateCreator<LabState, [], [], SessionSlice> = () => ({
  switches: SAFE_SWITCHES,
  customSource: null,
  program: 'kv-server',
  running: true,
  speed: 1,
  workload: 0,
  workloadRate: 50,
  errors: [],
  memAddr: 0,
  runtime: 'workers',
  recording: { endMs: null, seeking: null, actions: 0, title: null },
  tour: null,
  notice: null,
  presenter: false,
  focusPanel: null,
});

const createVmsSlice: StateCreator<LabState, [], [], VmsSlice> = () => ({
  vms: [],
  verdicts: null,
  macOwner: null,
  diskBlocks: 0,
  frame: 0,
  virtualNow: 0,
  framesDropped: 0,
  completedOps: 0,
});

export const EMPTY_TRACE: TraceSlice = { client: [], feed: [], tasHolder: null, channel: { entries: 0, bytes: 0, acks: 0, heartbeats: 0 } };
const createTraceSlice: StateCreator<LabState, [], [], TraceSlice> = () => EMPTY_TRACE;

/** One bound store from three slices; actions are module functions below (labActions, startLab). */
export const useLab = create<LabState>()((...a) => ({ ...createSessionSlice(...a), ...createVmsSlice(...a), ...createTraceSlice(...a) }));

type ConsoleSink = (text: string, suppressed: boolean) => void;
const consoleSinks = new Map<string, ConsoleSink>();
/** Each VM console's recent output (at most CONSOLE_HISTORY_CHARS), replayed to a console that (re)mounts. */
const consoleHistory = new Map<string, { chunks: { text: string; suppressed: boolean }[]; chars: number }>();
const CONSOLE_HISTORY_CHARS = 16_384;
/**
 * Flow control: console output is coalesced per view refresh, and each console gets at most
 * this much of it per refresh; the rest is dropped with a "… N lines not shown" line. A guest
 * printing as fast as it can costs the page a bounded amount of work and memory.
 */
const CONSOLE_FRAME_CHARS = 2048;
/** How often the views refresh: every frame at best, every REFRESH_MAX_MS when the page is short of time. */
const REFRESH_MIN_MS = 0;
const REFRESH_MAX_MS = 100;
const CONSOLE_FRAME_LINES = 40;
const consolePending = new Map<string, { chunk: ConsoleChunk; suppressed: boolean }>();

/** A VM console component registers here; output is written imperatively, never via React state. */
export function setConsoleSink(vm: string, sink: ConsoleSink | null): void {
  if (sink) {
    consoleSinks.set(vm, sink);
    for (const p of consoleHistory.get(vm)?.chunks ?? []) sink(p.text, p.suppressed);
  } else consoleSinks.delete(vm);
}

function writeConsole(vm: string, text: string, suppressed: boolean): void {
  let p = consolePending.get(vm);
  if (p && p.suppressed !== suppressed) {
    flushConsole(vm); // a backup gone live: what it printed as backup stays grey
    p = undefined;
  }
  if (!p) {
    p = { chunk: new ConsoleChunk(CONSOLE_FRAME_CHARS, CONSOLE_FRAME_LINES), suppressed };
    consolePending.set(vm, p);
  }
  p.chunk.add(text);
}

/** Once per view refresh (see attach): what the consoles and the client terminal got since the last. */
function flushConsoles(): void {
  for (const vm of [...consolePending.keys()]) flushConsole(vm);
  flushClientLines();
}

function flushConsole(vm: string): void {
  const p = consolePending.get(vm);
  consolePending.delete(vm);
  if (!p || p.chunk.empty) return;
  const text = p.chunk.take();
  consoleSinks.get(vm)?.(text, p.suppressed);
  const h = consoleHistory.get(vm) ?? { chunks: [], chars: 0 };
  h.chunks.push({ text, suppressed: p.suppressed });
  h.chars += text.length;
  while (h.chars > CONSOLE_HISTORY_CHARS && h.chunks.length > 1) h.chars -= h.chunks.shift()!.text.length;
  consoleHistory.set(vm, h);
}

type ClientSink = (line: string, tone: 'ok' | 'warn') => void;
let clientSink: ClientSink | null = null;
/** Lines for the client terminal, at most CLIENT_FRAME_LINES per frame (a guest may flood client 1 with replies). */
const CLIENT_FRAME_LINES = 12;
let clientPending: { line: string; tone: 'ok' | 'warn' }[] = [];
let clientDropped = 0;

/** The client terminal registers here to print client 1's replies as they arrive. */
export function setClientSink(sink: ClientSink | null): void {
  clientSink = sink;
}

function writeClient(line: string, tone: 'ok' | 'warn'): void {
  if (clientPending.length < CLIENT_FRAME_LINES) clientPending.push({ line, tone });
  else clientDropped++;
}

function flushClientLines(): void {
  const lines = clientPending;
  const dropped = clientDropped;
  clientPending = [];
  clientDropped = 0;
  for (const l of lines) clientSink?.(l.line, l.tone);
  if (dropped > 0) clientSink?.(`\x1b[2m${notShown(dropped, 0).trimEnd()}\x1b[22m`, 'warn');
}

let lab: LabController | null = null;
let poll: number | null = null;
const createWorker = (): Worker => new Worker(new URL('../workers/vm.worker.ts', import.meta.url), { type: 'module' });

export function currentLab(): LabController | null {
  return lab;
}

/** The simulator lab, when that runtime is on. */
export function currentSim(): SimLab | null {
  return lab instanceof SimLab ? lab : null;
}

/** The typed client's requests that timed out (the newest 64): a reply to one of them is late. */
const timedOut = new Set<number>();

function onTrace(events: readonly TraceEvent[]): void {
  const client: ClientLine[] = [];
  const feed: FeedLine[] = [];
  let { entries, bytes, acks, heartbeats } = useLab.getState().channel;
  let tasHolder = useLab.getState().tasHolder;
  for (const ev of events) {
    switch (ev.type) {
      case 'console':
        writeConsole(ev.vm, ev.text, ev.suppressed);
        break;
      case 'client/invoke':
        if (ev.client < 100) client.push({ id: ev.client, dir: 'req', reqId: ev.reqId, text: ev.text, t: ev.t });
        break;
      case 'client/reply':
        if (ev.client === 1) {
          // A reply after the client gave up is late, not a duplicate: only a second reply is that.
          const late = timedOut.delete(ev.reqId);
          const note = late ? ', late: after the client timed out' : ev.duplicate ? ', a duplicate (a second reply, as after a failover)' : '';
          writeClient(`← #${ev.reqId} ${ev.text}  (from VM ${ev.from}${note})`, late ? 'warn' : 'ok');
        }
        if (ev.client < 100) client.push({ id: ev.client, dir: 'rep', reqId: ev.reqId, text: ev.text + (ev.duplicate ? ' (duplicate)' : ''), from: ev.from, t: ev.t });
        break;
      case 'client/timeout':
        if (ev.client === 1) {
          timedOut.add(ev.reqId);
          if (timedOut.size > 64) timedOut.delete(timedOut.values().next().value!);
          writeClient(`⌛ #${ev.reqId} no reply: the request may or may not have taken effect`, 'warn');
        }
        if (ev.client < 100) client.push({ id: ev.client, dir: 'timeout', reqId: ev.reqId, text: 'no reply (timed out)', t: ev.t });
        break;
      case 'entry/flushed':
        entries += ev.toSeq - ev.fromSeq + 1;
        bytes += ev.bytes;
        break;
      case 'entry/acked':
        acks++;
        break;
      case 'heartbeat':
        heartbeats++;
        break;
      case 'storage/tas':
        tasHolder = ev.holder;
        break;
      default:
        break;
    }
    const d = describeEvent(ev);
    if (d) feed.push({ t: ev.t, ...d });
  }
  const s = useLab.getState();
  useLab.setState({
    client: client.length ? [...s.client, ...client].slice(-80) : s.client,
    feed: feed.length ? [...s.feed, ...feed].slice(-60) : s.feed,
    channel: { entries, bytes, acks, heartbeats },
    tasHolder,
  });
}

function resetView(announce: string | null): void {
  consoleHistory.clear();
  consolePending.clear();
  clientPending = [];
  clientDropped = 0;
  for (const sink of consoleSinks.values()) sink('\x1bc', false);
  if (announce) clientSink?.(`\x1b[2m(${announce})\x1b[0m`, 'ok');
  useLab.setState({ ...EMPTY_TRACE, verdicts: null });
}

function onSimEvent(l: SimLab, e: SimLabEvent): void {
  if (l !== lab) return;
  switch (e.kind) {
    case 'reset':
      resetView('replaying from the start to seek');
      break;
    case 'notice':
      useLab.setState((s) => ({ notice: { text: e.text, tone: 'info' }, feed: [...s.feed, { t: l.virtualNow, text: e.text, tone: 'warn' as const }].slice(-60) }));
      break;
    case 'seek':
      useLab.setState((s) => ({ recording: { ...s.recording, seeking: e.progress === null ? null : (l.seeking ?? null) } }));
      break;
    case 'changed':
      syncSimState(l);
      break;
  }
}

function syncSimState(l: SimLab): void {
  const p = l.player;
  useLab.setState((s) => ({
    running: !l.clock.paused,
    speed: l.clock.speed,
    recording: { ...s.recording, endMs: l.endMs, seeking: l.seeking, actions: l.session.actions.length },
    tour: p ? { chapterId: p.chapter.id, step: p.step, phase: p.phase, choice: p.choice, highlight: p.current.highlight ?? [] } : null,
  }));
}

function attach(next: LabController, state: Partial<LabState>): void {
  // (A lab replaced before it ran at all, as React's development double start does, is not news.)
  const had = lab !== null && lab.virtualNow > 1;
  lab?.dispose();
  lab = next;
  timedOut.clear();
  resetView(had ? 'a new run' : null);
  next.onTrace(onTrace);
  if (next instanceof SimLab) {
    next.onEvent((e) => onSimEvent(next, e));
  }
  // Hooks for the browser tests and benchmarks.
  Object.assign(globalThis, { __lab: next, __startLab: startLab });
  const sticky = useLab.getState().notice?.sticky ? useLab.getState().notice : null;
  useLab.setState({ ...EMPTY_TRACE, running: true, verdicts: null, errors: [], workload: 0, notice: sticky, tour: null, ...state });
  if (next instanceof SimLab) syncSimState(next);
  if (poll === null) {
    let last = performance.now();
    let next = 0;
    let interval = REFRESH_MIN_MS;
    const tick = async (): Promise<void> => {
      // The views refresh once a frame while frames come on time; when they come late (the main
      // thread is short of CPU), less often, so the page keeps time to answer the learner.
      const now = performance.now();
      const late = now - last > 34;
      last = now;
      interval = late ? Math.min(REFRESH_MAX_MS, interval * 1.25 + 4) : Math.max(REFRESH_MIN_MS, interval * 0.9);
      if (now < next) {
        poll = requestAnimationFrame(() => void tick());
        return;
      }
      next = now + interval;
      flushConsoles();
      const l = lab;
      if (l) {
        const vms = (await l.inspect(useLab.getState().memAddr)).filter((v): v is VmInspect => v !== null);
        if (l === lab) {
          const verdicts = l.verdicts();
          // (the verdicts are recomputed now and then; count the operations they rest on when they are)
          const completedOps = verdicts === useLab.getState().verdicts ? useLab.getState().completedOps : completedOperations(l.history());
          useLab.setState((s) => ({ vms, macOwner: l.macOwner, verdicts, completedOps, frame: s.frame + 1, virtualNow: l.virtualNow, diskBlocks: l.storage.touched.size, framesDropped: l.framesDropped ?? 0 }));
        }
      }
      poll = requestAnimationFrame(() => void tick());
    };
    poll = requestAnimationFrame(() => void tick());
  }
}

/** The scenario a free session on the simulator runs: the program with the current switches. */
function freeScenario(program: ProgramName) {
  const sw = useLab.getState().switches;
  return validateScenario({ name: 'free session', program, seed: 1, durationMs: 600_000, ft: { outputRule: sw.outputRule, testAndSet: sw.testAndSet, unlogged: [...sw.unlogged] } });
}

/** Start (or restart) the lab with a program; shipped by name or user source. */
export function startLab(program: ProgramName, source?: string, opts: { noBackup?: boolean; runtime?: Runtime } = {}): boolean {
  const r = assembleProgram(source ?? PROGRAM_SOURCES[program]);
  if (!r.ok) {
    const shown = r.errors.slice(0, 50).map((e) => `${e.line}:${e.col}: ${e.message}`);
    useLab.setState({ errors: r.errors.length > shown.length ? [...shown, `… and ${r.errors.length - shown.length} more errors`] : shown });
    return false;
  }
  const runtime = opts.runtime ?? useLab.getState().runtime;
  const speed = useLab.getState().speed;
  const sw = useLab.getState().switches;
  const base = { program, customSource: source ?? null, runtime, recording: { endMs: null, seeking: null, actions: 0, title: null } };
  if (runtime === 'simulator') {
    attach(new SimLab({ spec: { scenario: freeScenario(program), source: source ?? null, noBackup: opts.noBackup ?? false }, speed: Math.min(speed, 1) }), base);
    return true;
  }
  attach(
    new FtLab({
      image: r.image,
      program,
      speed,
      createWorker,
      // A longer failure timeout than the simulator's: real workers share two cores with the page.
      // The lag limit sits above the skew the two workers' clocks may have (half the timeout), so only
      // a really slower backup throttles the primary.
      config: { outputRule: sw.outputRule, testAndSet: sw.testAndSet, unlogged: sw.unlogged, failureTimeoutMs: 150, lagLimitMs: 100 },
      ...(opts.noBackup ? { noBackup: true } : {}),
    }),
    base,
  );
  return true;
}

/** Start a simulator session from a spec and actions (a recording, a share link) or a tour chapter. */
export function startSim(opts: SimLabOptions, state: { title?: string | null; seekTo?: number } = {}): SimLab {
  const l = new SimLab(opts);
  const sc = l.spec.scenario;
  attach(l, {
    program: sc.program,
    customSource: l.spec.source ?? null,
    runtime: 'simulator',
    switches: { outputRule: l.config.outputRule, testAndSet: l.config.testAndSet, unlogged: [...l.config.unlogged] },
    recording: { endMs: opts.endMs ?? null, seeking: null, actions: l.session.actions.length, title: state.title ?? null },
  });
  if (state.seekTo !== undefined && !opts.player) void l.seek(state.seekTo);
  return l;
}

/** A tour chapter's player on the simulator. */
export function startTour(player: ChapterPlayer): SimLab {
  const l = startSim({ spec: player.session.spec, player, paused: true });
  l.tourChanged();
  return l;
}



export const labActions = {
  /** Teaching switches take effect from a fresh start of the same program. */
  setSwitches(change: Partial<Switches>): void {
    const s = useLab.getState();
    useLab.setState({ switches: { ...s.switches, ...change } });
    startLab(s.program, s.customSource ?? undefined);
    useLab.setState({ tour: null });
    // The restart keeps the learner's workload: a switch is the only thing that changed.
    if (s.workload > 0) labActions.setWorkload(s.workload, s.workloadRate);
    const on = useLab.getState().switches;
    const unsafe = [!on.outputRule && 'Output Rule OFF', !on.testAndSet && 'test-and-set OFF', ...on.unlogged.map((u) => `${u} NOT logged`)].filter(Boolean);
    useLab.setState((st) => ({
      feed: [...st.feed, { t: 0, text: `Restarted with ${unsafe.length ? unsafe.join(', ') : 'every safety mechanism on'}`, tone: unsafe.length ? 'bad' : 'good' }],
    }));
  },
  pause(): void {
    lab?.pause();
    useLab.setState({ running: false });
  },
  resume(): void {
    // In the tour the clock belongs to the step (Next runs it): running on would spoil the narration.
    if (useLab.getState().tour) return;
    lab?.resume();
    useLab.setState({ running: true });
  },
  step(): void {
    if (useLab.getState().tour) return;
    lab?.step();
    useLab.setState({ running: false });
  },
  setSpeed(speed: number): void {
    lab?.setSpeed(speed);
    useLab.setState({ speed });
  },
  /** `count` automatic clients, each sending about `perSecond` requests per virtual second. */
  setWorkload(count: number, perSecond = useLab.getState().workloadRate): void {
    lab?.setWorkload(count, 1000 / perSecond, 4);
    useLab.setState({ workload: count, workloadRate: perSecond });
  },
  request(text: string): boolean {
    return lab?.request(text) ?? false;
  },
  setRuntime(runtime: Runtime): void {
    const s = useLab.getState();
    useLab.setState({ runtime });
    startLab(s.program, s.customSource ?? undefined, { runtime });
  },
};

