// The page's store (zustand): what the UI shows of the FT lab. The lab itself (workers, realm)
// lives outside React; this module connects it, polls VM views once per frame and turns the
// trace into the few things panels subscribe to. Console text goes to xterm imperatively.
import { create, type StateCreator } from 'zustand';
import type { NondetSource } from '../engine/ft/hypervisor';
import type { TraceEvent } from '../engine/ft/trace';
import type { ProgramName } from '../engine/programs/index';
import type { TimedAction } from '../engine/session/actions';
import type { Checkpoint, SessionSpec } from '../engine/session/simSession';
import type { Phase } from '../engine/tour/player';
import type { PanelId } from '../engine/tour/types';
import { FtLab, type LabVerdicts } from '../workers/ftLab';
import type { LabController, SimControls, SimLabEvent } from '../workers/labController';
import type { VmInspect } from '../workers/protocol';
import { ConsoleChunk, notShown } from '../workers/flow';
import { PROGRAM_SOURCES, assembleProgram, chapterById, validateScenario } from '../workers/pure';
import { SimLabClient } from '../workers/simLabClient';
import { describeEvent } from './describe';
import { TERMINAL_CLIENT } from './stage/stageModel';
import { completedOperations } from './verdictView';

/** Which runtime drives the lab: real Web Workers, or the deterministic simulator (recordable). */
export type Runtime = 'workers' | 'simulator';

/** The tour's position, mirrored from the ChapterPlayer for the panels. */
export interface TourState {
  readonly chapterId: string;
  readonly step: number;
  readonly phase: Phase;
  readonly choice: number | null;
  readonly isLast: boolean;
  /** The current step's expectations that do not hold, once it is done. */
  readonly unmet: readonly string[] | null;
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
  /** The same line this many times in a row (a VM asking for test-and-set again and again), `t` the last. */
  readonly times?: number;
}

/** The feed with `add` appended: a line the same as the one before it counts up instead of repeating; the newest 60 kept. */
export function appendFeed(feed: readonly FeedLine[], add: readonly FeedLine[]): readonly FeedLine[] {
  if (add.length === 0) return feed;
  const out = [...feed];
  for (const l of add) {
    const last = out.at(-1);
    if (last && last.text === l.text && last.tone === l.tone) out[out.length - 1] = { ...l, times: (last.times ?? 1) + 1 };
    else out.push(l);
  }
  return out.slice(-60);
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
  /** Slow motion around events: a fault, failure detection, test-and-set or go-live slows the run to human pace for a while. */
  slowMotion: boolean;
  /** While slowed down: why, and the virtual time the learner's own speed comes back. */
  slowedFor: { reason: string; until: number } | null;
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
  /** Trace events the views did not get (a flood, thinned before it reached the page). */
  traceFolded: number;
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
  slowMotion: true,
  slowedFor: null,
});

const createVmsSlice: StateCreator<LabState, [], [], VmsSlice> = () => ({
  vms: [],
  verdicts: null,
  macOwner: null,
  diskBlocks: 0,
  frame: 0,
  virtualNow: 0,
  framesDropped: 0,
  traceFolded: 0,
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
/**
 * How often the views refresh: every frame at best, every REFRESH_MAX_MS when the page is short of
 * time. Faster than real time, at most every REFRESH_FAST_MS: numbers that change every frame
 * cannot be read anyway, and each refresh asks every VM worker for its state, taking CPU from
 * the pair it watches (the stage's messages still move every frame).
 */
const REFRESH_MIN_MS = 0;
const REFRESH_FAST_MS = 33;
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

/** A line for the client terminal: a request sent, a reply (ok), trouble (warn), or the page's own note. */
export type ClientTone = 'request' | 'ok' | 'warn' | 'note';
type ClientSink = (line: string, tone: ClientTone) => void;
let clientSink: ClientSink | null = null;
/** Lines for the client terminal, at most CLIENT_FRAME_LINES per frame (a guest may flood client 1 with replies). */
const CLIENT_FRAME_LINES = 12;
let clientPending: { line: string; tone: ClientTone }[] = [];
let clientDropped = 0;

/** The client terminal registers here to print client 1's replies as they arrive. */
export function setClientSink(sink: ClientSink | null): void {
  clientSink = sink;
}

function writeClient(line: string, tone: ClientTone): void {
  if (clientPending.length < CLIENT_FRAME_LINES) clientPending.push({ line, tone });
  else clientDropped++;
}

function flushClientLines(): void {
  const lines = clientPending;
  const dropped = clientDropped;
  clientPending = [];
  clientDropped = 0;
  for (const l of lines) clientSink?.(l.line, l.tone);
  if (dropped > 0) clientSink?.(notShown(dropped, 0).trimEnd(), 'note');
}

let lab: LabController | null = null;
let poll: number | null = null;
const createWorker = (): Worker => new Worker(new URL('../workers/vm.worker.ts', import.meta.url), { type: 'module' });

export function currentLab(): LabController | null {
  return lab;
}

/** The simulator's controls (time travel, recordings, the tour), when that runtime is on. */
export function currentSim(): SimControls | null {
  return lab?.sim ?? null;
}

/** The pace slow motion drops to: a failover over several seconds (as the stage opens at). */
export const SLOW_MOTION_SPEED = 0.02;
/** Virtual ms kept slow after a test-and-set answer or a go-live (a fault: the failure timeout and this). */
const SLOW_MOTION_SPAN_MS = 40;
/** The learner's speed while slow motion holds the lab at SLOW_MOTION_SPEED. */
let slowedFrom: number | null = null;

/** Slow the run down around `ev` (if it is a moment worth watching and the learner runs faster than human pace). */
function slowAround(ev: TraceEvent): void {
  let reason: string | null = null;
  let span = SLOW_MOTION_SPAN_MS;
  switch (ev.type) {
    case 'fault':
      if (ev.kind === 'set-link' || ev.kind === 'slow-channel' || ev.kind === 'heal' || ev.detail === 'no effect') return;
      reason = ev.detail;
      // Long enough to watch the failure detector's countdown run out (a dropped message: its resend).
      if (ev.kind !== 'drop-message') span += lab?.config.failureTimeoutMs ?? 60;
      break;
    case 'failure/suspected':
      reason = `${ev.vm} stopped hearing ${ev.peer}`;
      break;
    case 'storage/tas':
      reason = ev.won ? `${ev.asker} won test-and-set` : `${ev.asker} lost test-and-set`;
      break;
    case 'vm/went-live':
      reason = `${ev.vm} went live`;
      break;
    default:
      return;
  }
  slowDown(reason, ev.t + span);
}

/** The lab, slowed down first when slow motion is on: a fault the learner is about to inject is worth watching from its start. */
export function faultLab(what: string): LabController | null {
  if (lab) slowDown(what, lab.virtualNow + SLOW_MOTION_SPAN_MS + lab.config.failureTimeoutMs);
  return lab;
}

function slowDown(reason: string, until: number): void {
  const s = useLab.getState();
  const from = slowedFrom ?? s.speed;
  if (!lab || !s.slowMotion || s.tour || from <= SLOW_MOTION_SPEED) return;
  until = Math.max(s.slowedFor?.until ?? 0, until);
  if (slowedFrom === null) {
    slowedFrom = from;
    void lab.setSpeed(SLOW_MOTION_SPEED);
  }
  useLab.setState({ slowedFor: { reason, until } });
}

/** Once a frame: back to the learner's speed once the slowed stretch has run. */
function maybeSpeedUp(l: LabController): void {
  const slowed = useLab.getState().slowedFor;
  if (slowedFrom === null || !slowed || l.virtualNow < slowed.until) return;
  void l.setSpeed(slowedFrom);
  endSlowMotion();
}

function endSlowMotion(): void {
  const from = slowedFrom;
  slowedFrom = null;
  if (useLab.getState().slowedFor || from !== null) useLab.setState({ slowedFor: null, ...(from !== null ? { speed: from } : {}) });
}

/** The typed client's requests that timed out (the newest 64): a reply to one of them is late. */
const timedOut = new Set<number>();

function onTrace(events: readonly TraceEvent[]): void {
  const client: ClientLine[] = [];
  const feed: FeedLine[] = [];
  let { entries, bytes, acks, heartbeats } = useLab.getState().channel;
  for (const ev of events) {
    switch (ev.type) {
      case 'console':
        writeConsole(ev.vm, ev.text, ev.suppressed);
        break;
      case 'client/invoke':
        // (from the trace, not the keyboard: a replayed or seeked run shows its requests too)
        if (ev.client === TERMINAL_CLIENT) writeClient(`→ ${ev.text}`, 'request');
        if (ev.client < 100) client.push({ id: ev.client, dir: 'req', reqId: ev.reqId, text: ev.text, t: ev.t });
        break;
      case 'client/reply':
        if (ev.client === TERMINAL_CLIENT) {
          // A reply after the client gave up is late, not a duplicate: only a second reply is that.
          const late = timedOut.delete(ev.reqId);
          const note = late ? ', late: after the client timed out' : ev.duplicate ? ', a duplicate (a second reply, as after a failover)' : '';
          writeClient(`← #${ev.reqId} ${ev.text}  (from VM ${ev.from}${note})`, late ? 'warn' : 'ok');
        }
        if (ev.client < 100) client.push({ id: ev.client, dir: 'rep', reqId: ev.reqId, text: ev.text + (ev.duplicate ? ' (duplicate)' : ''), from: ev.from, t: ev.t });
        break;
      case 'client/timeout':
        if (ev.client === TERMINAL_CLIENT) {
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
      default:
        break;
    }
    const d = describeEvent(ev);
    if (d) feed.push({ t: ev.t, ...d });
    slowAround(ev);
  }
  const s = useLab.getState();
  useLab.setState({
    client: client.length ? [...s.client, ...client].slice(-80) : s.client,
    feed: appendFeed(s.feed, feed),
    channel: { entries, bytes, acks, heartbeats },
  });
}

/** What of the runtime's thinned-out trace has been counted in the channel's totals already. */
let foldedCounted = { acks: 0, heartbeats: 0 };

/** The thinned-out trace since the last frame: the channel's totals count it (they stay exact), the total is shown. */
function foldedNews(l: LabController): { traceFolded: number; acks: number; heartbeats: number } {
  const f = l.traceFolded ?? {};
  let total = 0;
  for (const n of Object.values(f)) total += n;
  const acks = (f['entry/acked'] ?? 0) - foldedCounted.acks;
  const heartbeats = (f.heartbeat ?? 0) - foldedCounted.heartbeats;
  foldedCounted = { acks: f['entry/acked'] ?? 0, heartbeats: f.heartbeat ?? 0 };
  return { traceFolded: total, acks, heartbeats };
}

function resetView(announce: string | null): void {
  foldedCounted = { acks: 0, heartbeats: 0 };
  consoleHistory.clear();
  consolePending.clear();
  clientPending = [];
  clientDropped = 0;
  for (const sink of consoleSinks.values()) sink('\x1bc', false);
  if (announce) clientSink?.(`(${announce})`, 'note');
  useLab.setState({ ...EMPTY_TRACE, verdicts: null });
}

function onSimEvent(l: LabController, e: SimLabEvent): void {
  if (l !== lab) return;
  switch (e.kind) {
    case 'reset':
      resetView('seeking: back to the nearest snapshot, then running on');
      break;
    case 'notice':
      useLab.setState((s) => ({ notice: { text: e.text, tone: 'info' }, feed: appendFeed(s.feed, [{ t: l.virtualNow, text: e.text, tone: 'warn' as const }]) }));
      break;
    case 'seek':
      useLab.setState((s) => ({ recording: { ...s.recording, seeking: e.progress === null ? null : (l.sim?.state.seeking ?? null) } }));
      break;
    case 'changed':
      if (l.sim) syncSimState(l.sim);
      break;
  }
}

function syncSimState(sim: SimControls): void {
  const st = sim.state;
  const t = st.tour;
  const step = t ? chapterById(t.chapterId)?.steps[t.step] : undefined;
  useLab.setState((s) => ({
    running: !st.paused,
    speed: slowedFrom ?? st.speed,
    recording: { ...s.recording, endMs: st.endMs, seeking: st.seeking, actions: st.actions.length },
    tour: t ? { chapterId: t.chapterId, step: t.step, phase: t.phase, choice: t.choice, isLast: t.isLast, unmet: t.unmet, highlight: step?.highlight ?? [] } : null,
  }));
}

function attach(next: LabController, state: Partial<LabState>): void {
  // (A lab replaced before it ran at all, as React's development double start does, is not news.)
  const had = lab !== null && lab.virtualNow > 1;
  lab?.dispose();
  lab = next;
  timedOut.clear();
  slowedFrom = null;
  resetView(had ? 'a new run' : null);
  next.onTrace(onTrace);
  next.sim?.onEvent((e) => onSimEvent(next, e));
  // Hooks for the browser tests and benchmarks.
  Object.assign(globalThis, { __lab: next, __startLab: startLab });
  const sticky = useLab.getState().notice?.sticky ? useLab.getState().notice : null;
  useLab.setState({ ...EMPTY_TRACE, running: true, verdicts: null, errors: [], workload: 0, notice: sticky, tour: null, slowedFor: null, ...state });
  if (next.sim) syncSimState(next.sim);
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
      const least = (lab?.clock.speed ?? 1) > 1 ? REFRESH_FAST_MS : REFRESH_MIN_MS;
      interval = late ? Math.min(REFRESH_MAX_MS, interval * 1.25 + 4) : Math.max(least, interval * 0.9);
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
          const completedOps = verdicts === useLab.getState().verdicts ? useLab.getState().completedOps : (l.completedOps ?? completedOperations(l.history()));
          const folded = foldedNews(l);
          useLab.setState((s) => ({
            vms,
            macOwner: l.macOwner,
            verdicts,
            completedOps,
            frame: s.frame + 1,
            virtualNow: l.virtualNow,
            diskBlocks: l.storage.touched.size,
            // (the word's state, not the trace's tale of it: a seek that jumps ahead restarts the trace)
            tasHolder: l.storage.holder,
            framesDropped: l.framesDropped ?? 0,
            ...folded,
            ...(folded.acks || folded.heartbeats ? { channel: { ...s.channel, acks: s.channel.acks + folded.acks, heartbeats: s.channel.heartbeats + folded.heartbeats } } : {}),
          }));
          maybeSpeedUp(l);
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
    startSim({ spec: { scenario: freeScenario(program), source: source ?? null, noBackup: opts.noBackup ?? false }, speed: Math.min(speed, 1) }, {}, base);
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

/** What starts a simulator session: a spec and actions (a recording, a share link), or a tour chapter by name. */
export interface SimStart {
  readonly spec: SessionSpec;
  readonly actions?: readonly TimedAction[];
  readonly endMs?: number | null;
  readonly speed?: number;
  readonly paused?: boolean;
  readonly checkpoints?: readonly Checkpoint[];
  readonly tour?: { readonly chapterId: string; readonly step: number; readonly restore?: { readonly actions: readonly TimedAction[]; readonly at: number } };
}

/** Start a simulator session (it runs in the simulator's worker; the page holds its mirror). */
export function startSim(opts: SimStart, state: { title?: string | null; seekTo?: number } = {}, extra: Partial<LabState> = {}): LabController {
  const l = new SimLabClient(opts);
  const sc = opts.spec.scenario;
  const ft = sc.ft ?? {};
  attach(l, {
    program: sc.program,
    customSource: opts.spec.source ?? null,
    runtime: 'simulator',
    switches: { outputRule: ft.outputRule ?? SAFE_SWITCHES.outputRule, testAndSet: ft.testAndSet ?? SAFE_SWITCHES.testAndSet, unlogged: [...(ft.unlogged ?? [])] },
    recording: { endMs: opts.endMs ?? null, seeking: null, actions: opts.actions?.length ?? 0, title: state.title ?? null },
    ...extra,
  });
  if (state.seekTo !== undefined && !opts.tour) void l.seek(state.seekTo);
  return l;
}

/** The learner's own speed and runtime when the tour began (the chapters set their own pace). */
let beforeTour: { readonly speed: number; readonly runtime: Runtime } | null = null;

/** A tour chapter at a step (or a shared moment of it) on the simulator. */
export function startTour(chapterId: string, step: number, restore?: { readonly actions: readonly TimedAction[]; readonly at: number }): LabController | null {
  const ch = chapterById(chapterId);
  if (!ch) return null;
  const s = useLab.getState();
  // (from a free session only: the next chapter, a step replayed, keep what the learner had)
  if (s.tour === null) beforeTour = { speed: slowedFrom ?? s.speed, runtime: s.runtime };
  const spec: SessionSpec = { scenario: validateScenario(ch.scenario, `chapter ${ch.id}`), source: ch.source ?? null };
  return startSim({ spec, paused: true, tour: { chapterId, step, ...(restore ? { restore } : {}) } });
}

/**
 * A new run of the program now on the page, with the learner's setup carried over: a teaching
 * switch, a runtime switch or Start over is the only thing that changed, so the automatic
 * clients go on in the new run.
 */
export function restartLab(opts: { runtime?: Runtime } = {}): boolean {
  const s = useLab.getState();
  const ok = startLab(s.program, s.customSource ?? undefined, opts);
  if (ok && s.workload > 0) labActions.setWorkload(s.workload, s.workloadRate);
  return ok;
}

/** Out of the tour: a free session of the program, at the speed and on the runtime the learner had before it. */
export function endTour(): void {
  const s = useLab.getState();
  const back = beforeTour ?? { speed: s.speed, runtime: 'simulator' as const };
  beforeTour = null;
  useLab.setState({ speed: back.speed, runtime: back.runtime });
  startLab(s.program, undefined, { runtime: back.runtime });
}

/** Outside the tour, or while a tour step runs (it stops at its own end): the learner may pause and resume. */
export function tourClockFree(): boolean {
  const t = useLab.getState().tour;
  return t === null || t.phase === 'run';
}

export const labActions = {
  /** Teaching switches take effect from a fresh start of the same program. */
  setSwitches(change: Partial<Switches>): void {
    const s = useLab.getState();
    useLab.setState({ switches: { ...s.switches, ...change } });
    restartLab();
    useLab.setState({ tour: null });
    const on = useLab.getState().switches;
    const unsafe = [!on.outputRule && 'Output Rule OFF', !on.testAndSet && 'test-and-set OFF', ...on.unlogged.map((u) => `${u} NOT logged`)].filter(Boolean);
    useLab.setState((st) => ({
      feed: [...st.feed, { t: 0, text: `Restarted with ${unsafe.length ? unsafe.join(', ') : 'every safety mechanism on'}`, tone: unsafe.length ? 'bad' : 'good' }],
    }));
  },
  // (on the simulator, `running` follows the state the lab pushes once the command took effect)
  pause(): void {
    // In the tour the clock belongs to the step: it may be paused (and resumed) only while the step runs.
    if (!tourClockFree()) return;
    void lab?.pause();
    if (!lab?.sim) useLab.setState({ running: false });
  },
  resume(): void {
    // In the tour the clock belongs to the step (Next runs it): running on past the step would
    // spoil the narration. A step paused while it ran goes on to its own end.
    if (!tourClockFree()) return;
    void lab?.resume();
    if (!lab?.sim) useLab.setState({ running: true });
  },
  step(): void {
    if (useLab.getState().tour) return;
    void lab?.step();
    if (!lab?.sim) useLab.setState({ running: false });
  },
  setSpeed(speed: number): void {
    // The learner's choice ends a slow-motion stretch.
    slowedFrom = null;
    void lab?.setSpeed(speed);
    useLab.setState({ speed, slowedFor: null });
  },
  setSlowMotion(on: boolean): void {
    useLab.setState({ slowMotion: on });
    if (!on && slowedFrom !== null) {
      void lab?.setSpeed(slowedFrom);
      endSlowMotion();
    }
  },
  /** `count` automatic clients, each sending about `perSecond` requests per virtual second. */
  setWorkload(count: number, perSecond = useLab.getState().workloadRate): void {
    void lab?.setWorkload(count, 1000 / perSecond, 4);
    useLab.setState({ workload: count, workloadRate: perSecond });
  },
  request(text: string): Promise<boolean> {
    return Promise.resolve(lab?.request(text) ?? false);
  },
  setRuntime(runtime: Runtime): void {
    useLab.setState({ runtime });
    restartLab({ runtime });
  },
};

