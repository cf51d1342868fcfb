// The guided tour's data: chapters, each a scenario plus narration steps. A step can ask for a
// prediction first, ask the learner to act (and wait), take actions itself, and run the
// simulation for a while or until something happens. Chapters are plain data (chapters/).

import type { NodeId } from '../ft/messages';
import type { Role, TraceEvent, TraceType } from '../ft/trace';
import type { LabAction } from '../session/actions';
import type { ScenarioInput } from '../sim/scenario';

/** Panels a step can point at (the page marks them with data-panel). */
export type PanelId =
  | 'controls'
  | 'faults'
  /** Whichever VM is primary (or live) now, whichever is backup now. */
  | 'vm-primary'
  | 'vm-backup'
  /** One VM by name, whatever its role: for steps in which roles change. */
  | 'vm-A'
  | 'vm-B'
  | 'vm-C'
  | 'log-buffer'
  | 'held-outputs'
  | 'console'
  | 'client'
  | 'verdicts'
  | 'feed'
  | 'timeline'
  | 'channel-view'
  | 'metrics'
  | 'channel-stats'
  | 'switches';

/** A pattern names a node as plain text (`'B'`): the trace's node ids compare equal to it. */
type Written<V> = V extends NodeId ? string : V;

/**
 * What a field of an event must be: this value, one of these values, (text) contain this text, or
 * (a number) be this number up to rounding: the throttle's CPU share is summed in steps of 0.05, so
 * it is 0.6999999999999997 where the narration says 70%.
 */
export type FieldPattern<F, V = Written<F>> =
  | V
  | { readonly oneOf: readonly V[] }
  | (V extends string ? { readonly includes: string } : never)
  | (V extends number ? { readonly near: number } : never);

type EventOf<T extends TraceType> = Extract<TraceEvent, { readonly type: T }>;

/**
 * Trace events by their fields: the type, and whichever other fields it names, each matched as a
 * FieldPattern (`{type: 'storage/tas', holder: 'B'}`; `{type: 'fault', kind: {oneOf: ['kill-primary', 'kill-backup']}}`).
 */
export type EventPattern = {
  [T in TraceType]: { readonly type: T } & { readonly [K in Exclude<keyof EventOf<T>, 'type' | 't'>]?: FieldPattern<EventOf<T>[K]> };
}[TraceType];

/** Something that must hold once a step has run: the tests check it, the page can show it. */
export type Expectation =
  | { readonly kind: 'event'; readonly event: EventPattern }
  | { readonly kind: 'no-event'; readonly event: EventPattern }
  | { readonly kind: 'verdict'; readonly which: 'outputRequirement' | 'splitBrain' | 'replay'; readonly ok: boolean }
  | { readonly kind: 'role'; readonly vm: string; readonly role: Role };

export interface Prediction {
  readonly question: string;
  readonly choices: readonly string[];
  /** Index of the right choice. */
  readonly answer: number;
  /** Shown once the learner has chosen (and the step has run). */
  readonly explain: string;
}

export interface AskToAct {
  /** What the learner must do, e.g. "Click Kill primary now". */
  readonly prompt: string;
  readonly action: LabAction;
}

export interface Step {
  readonly title: string;
  /** Narration; blank lines separate paragraphs, `code` in backticks. */
  readonly text: string;
  readonly highlight?: readonly PanelId[];
  readonly predict?: Prediction;
  readonly ask?: AskToAct;
  /** Actions the narrator takes when the step starts running (after any prediction and ask). */
  readonly do?: readonly LabAction[];
  /** Run this many virtual ms... */
  readonly runMs?: number;
  /** ...or until the first trace event that matches, at most `runMs` (required then). */
  readonly until?: EventPattern;
  /** Animation speed of the run, virtual ms per wall second (the chapter's by default). */
  readonly pace?: number;
  readonly expect?: readonly Expectation[];
}

export interface Chapter {
  /** Stable id, used in share links and recordings (e.g. 'failover'). */
  readonly id: string;
  readonly title: string;
  /** One sentence: what the learner will see. */
  readonly summary: string;
  readonly scenario: ScenarioInput;
  /** Assembly source to run instead of the scenario's shipped program. */
  readonly source?: string;
  /** Virtual ms per wall second while a step runs. */
  readonly pace: number;
  readonly steps: readonly Step[];
}
