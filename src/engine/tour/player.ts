// Plays one chapter of the guided tour on a SimSession. Each step goes through up to four
// phases: a prediction to make, an action to take, a run (animated by the caller, which paces
// `advance` by the wall clock), then done. Jumping to step k is a new player that fast-forwards
// steps 0..k-1 exactly as written (asked actions taken for the learner): the same state every time.

import { asNodeId } from '../ft/messages';
import type { TraceEvent } from '../ft/trace';
import type { LabAction, TimedAction } from '../session/actions';
import { SimSession } from '../session/simSession';
import { validateScenario } from '../sim/scenario';
import type { Chapter, EventPattern, Expectation, Step } from './types';

export type Phase = 'predict' | 'ask' | 'run' | 'done';

/** Does the learner's action do what the step asked? (Fields the step names must match.) */
export function sameAction(asked: LabAction, taken: LabAction): boolean {
  const a = asked as Record<string, unknown>;
  const t = taken as Record<string, unknown>;
  return Object.keys(a).every((k) => JSON.stringify(a[k]) === JSON.stringify(t[k]));
}

type Pattern = { readonly oneOf: readonly unknown[] } | { readonly includes: string } | { readonly near: number };

/** How far a `near` number may be off: rounding, not a tolerance a chapter could lean on. */
const NEAR = 1e-9;

/** Is the pattern one of the predicates rather than a value? (No event field holds an object.) */
const isPredicate = (want: unknown): want is Pattern => typeof want === 'object' && want !== null;

function fieldMatches(value: unknown, want: unknown): boolean {
  if (!isPredicate(want)) return value === want;
  if ('oneOf' in want) return want.oneOf.some((w) => w === value);
  if ('near' in want) return typeof value === 'number' && Math.abs(value - want.near) <= NEAR * Math.max(1, Math.abs(want.near));
  return typeof value === 'string' && value.includes(want.includes);
}

/** Does the event have the pattern's type and every field the pattern names? */
export function matchesEvent(ev: TraceEvent, pattern: EventPattern): boolean {
  if (ev.type !== pattern.type) return false;
  const fields = ev as unknown as Readonly<Record<string, unknown>>;
  return Object.entries(pattern).every(([k, want]) => k === 'type' || want === undefined || fieldMatches(fields[k], want));
}

export class ChapterPlayer {
  readonly session: SimSession;
  step = 0;
  phase: Phase = 'run';
  /** The learner's answer to the current step's prediction, once given. */
  choice: number | null = null;
  private _runEnd = 0;
  private _found: number | null = null;
  private _unsubscribe: (() => void) | null = null;
  private _askedEarly = false;

  constructor(
    readonly chapter: Chapter,
    startStep = 0,
    restore?: { readonly actions: readonly TimedAction[]; readonly at: number },
  ) {
    const scenario = validateScenario(chapter.scenario, `chapter ${chapter.id}`);
    this.session = new SimSession({ scenario, source: chapter.source ?? null }, restore?.actions ?? []);
    const to = Math.max(0, Math.min(startStep, chapter.steps.length - 1));
    if (restore) {
      // A shared moment: the learner's own actions, replayed; the step shown as done.
      this.session.runTo(restore.at);
      this.step = to;
      this.phase = 'done';
      return;
    }
    this._enter(0);
    while (this.step < to) {
      this.completeAuto();
      this._enter(this.step + 1);
    }
  }

  /** A chapter at step `step`, with exactly the actions a learner took up to virtual time `at` (a share link). */
  static restore(chapter: Chapter, step: number, actions: readonly TimedAction[], at: number): ChapterPlayer {
    return new ChapterPlayer(chapter, step, { actions, at });
  }

  get current(): Step {
    return this.chapter.steps[this.step]!;
  }

  get isLast(): boolean {
    return this.step === this.chapter.steps.length - 1;
  }

  /** The wall-clock pace of the current step's run (virtual ms per wall second). */
  get pace(): number {
    return this.current.pace ?? this.chapter.pace;
  }

  private _enter(i: number): void {
    this.step = i;
    this.choice = null;
    this._askedEarly = false;
    const s = this.current;
    if (s.predict) this.phase = 'predict';
    else if (s.ask) this.phase = 'ask';
    else this._startRun();
  }

  /** The learner's prediction; the step moves on to its ask or its run. */
  answer(choice: number): void {
    if (this.phase !== 'predict') return;
    this.choice = choice;
    if (this.current.ask && !this._askedEarly) this.phase = 'ask';
    else this._startRun();
  }

  /**
   * The learner acted (any button, any time): the action is taken on the session. If it is what
   * the step is waiting for, the step starts running. Returns whether it was the awaited action.
   */
  act(action: LabAction): boolean {
    const ask = this.current.ask;
    if (this.phase === 'ask' && ask && sameAction(ask.action, action)) {
      this._startRun(action);
      return true;
    }
    // Taken before the prediction was made: once it is, the step runs without asking again.
    if (this.phase === 'predict' && ask && sameAction(ask.action, action)) {
      this._askedEarly = true;
      this.session.act(action);
      return true;
    }
    this.session.act(action);
    return false;
  }

  /** Start the current step's run: watch for its `until`, then take the asked action and the step's own. */
  private _startRun(asked?: LabAction): void {
    const s = this.current;
    this.phase = 'run';
    this._found = null;
    this._runEnd = this.session.now + (s.runMs ?? 0);
    this._unsubscribe?.();
    this._unsubscribe = null;
    // Subscribed before any action is taken: an action can emit the awaited event itself.
    if (s.until) {
      const until = s.until;
      this._unsubscribe = this.session.onTrace((ev) => {
        if (this._found === null && matchesEvent(ev, until)) this._found = ev.t;
      });
    }
    if (asked) this.session.act(asked);
    for (const a of s.do ?? []) this.session.act(a);
  }

  /**
   * Run the step toward its end, no further than virtual time `limit` (the caller's pacing) and
   * while `shouldStop` says go on. True once the step has finished running.
   */
  advance(limit = Infinity, shouldStop?: () => boolean): boolean {
    if (this.phase !== 'run') return this.phase === 'done';
    const sched = this.session.world.sched;
    // Stop only between instants, never with events still due at the current time: SimSession
    // takes a stop exactly at a checkpoint's (or an action's) time for having reached that time,
    // and would checkpoint (or act) halfway through the instant, unlike a replay of the actions.
    const stop = (): boolean => sched.peekTime() > sched.now && (this._found !== null || (shouldStop?.() ?? false));
    if (this._found === null) this.session.runTo(Math.min(limit, this._runEnd), stop);
    // Stopped after the awaited event: make sure its instant is finished, as a replay would.
    if (this._found !== null) this.session.runTo(this._found);
    if (this._found !== null || this.session.now >= this._runEnd) {
      this._finish();
      return true;
    }
    return false;
  }

  private _finish(): void {
    this.phase = 'done';
    this._unsubscribe?.();
    this._unsubscribe = null;
  }

  /** Finish the current step as written: the right prediction, the asked action, the whole run. */
  completeAuto(): void {
    const s = this.current;
    if (this.phase === 'predict') this.answer(s.predict!.answer);
    if (this.phase === 'ask') this.act(s.ask!.action);
    this.advance();
  }

  /** Go to the next step (finishing this one as written first). False on the last step. */
  next(): boolean {
    if (this.isLast) return false;
    if (this.phase !== 'done') this.completeAuto();
    this._enter(this.step + 1);
    return true;
  }

  /** Which of the current step's expectations do not hold (empty when all do). */
  unmet(step: Step = this.current): string[] {
    return (step.expect ?? []).flatMap((e) => (holds(this.session, e) ? [] : [describeExpectation(e)]));
  }
}

function holds(session: SimSession, e: Expectation): boolean {
  switch (e.kind) {
    case 'event':
      return session.trace.some((ev) => matchesEvent(ev, e.event));
    case 'no-event':
      return !session.trace.some((ev) => matchesEvent(ev, e.event));
    case 'verdict':
      return (session.verdicts()[e.which].ok === true) === e.ok;
    case 'role':
      return session.world.vms.get(asNodeId(e.vm))?.role === e.role;
  }
}

/** A pattern in the harness's words: `a tas/lost event from A with holder "B"`. */
export function describePattern(p: EventPattern): string {
  const fields = Object.entries(p).filter(([k, want]) => k !== 'type' && k !== 'vm' && want !== undefined);
  const said = fields.map(([k, want]) =>
    !isPredicate(want)
      ? `${k} ${JSON.stringify(want)}`
      : 'oneOf' in want
        ? `${k} one of ${want.oneOf.map((w) => JSON.stringify(w)).join(', ')}`
        : 'near' in want
          ? `${k} near ${want.near}`
          : `${k} containing ${JSON.stringify(want.includes)}`,
  );
  const vm = 'vm' in p && p.vm !== undefined ? ` from ${!isPredicate(p.vm) ? p.vm : 'oneOf' in p.vm ? p.vm.oneOf.join(' or ') : `a VM whose name contains "${p.vm.includes}"`}` : '';
  return `${p.type} event${vm}${said.length > 0 ? ` with ${said.join(', ')}` : ''}`;
}

export function describeExpectation(e: Expectation): string {
  switch (e.kind) {
    case 'event':
      return `a ${describePattern(e.event)}`;
    case 'no-event':
      return `no ${describePattern(e.event)}`;
    case 'verdict':
      return `the ${e.which} checker ${e.ok ? 'passing' : 'failing'}`;
    case 'role':
      return `VM ${e.vm} ${e.role}`;
  }
}
