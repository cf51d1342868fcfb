// What the page needs of a running lab, whichever runtime drives it: the Web Worker runtime
// (FtLab: each VM in its own worker, real threads) or the deterministic simulator (SimLab:
// recordable, seekable, used by the guided tour). The UI only reads the trace and views and sends
// commands; a simulator lab adds `sim` (time travel, recordings, share links, the tour), whose
// state it pushes: the page never reaches into a session or a tour player.

import type { FtConfig } from '../engine/ft/hypervisor';
import type { VmInspect } from '../engine/ft/inspect';
import type { NodeId } from '../engine/ft/messages';
import type { TraceEvent } from '../engine/ft/trace';
import type { LinkClass } from '../engine/sim/network';
import type { LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { ClientOp } from '../engine/sim/clients';
import type { LabAction, TimedAction } from '../engine/session/actions';
import type { Checkpoint, SessionSpec } from '../engine/session/simSession';
import type { Phase } from '../engine/tour/player';
import type { ClockState } from './realm';

export type VmRef = 'primary' | 'backup';
export type LinkSettings = Readonly<Record<LinkClass, { readonly latencyMs: number; readonly loss: number; readonly bandwidthMbps: number }>>;
export type LinkChange = { latencyMs?: number; loss?: number; bandwidthMbps?: number };

export interface LabController {
  readonly kind: 'workers' | 'simulator';
  readonly trace: readonly TraceEvent[];
  readonly config: FtConfig;
  /** Shared storage: the blocks written so far, and who holds the test-and-set word (its state now, not the trace's tale). */
  readonly storage: { readonly touched: ReadonlySet<number>; readonly holder: NodeId | null };
  readonly macOwner: NodeId | null;
  readonly virtualNow: number;
  readonly clock: ClockState;
  /** Each link's settings now (the stage's sliders show them). */
  readonly links: LinkSettings;
  /** Frames the switch dropped (addressed to no client, or a port's queue full), where the runtime counts them. */
  readonly framesDropped?: number;
  /** Trace events the page's views did not get, per kind (a flood, thinned: flow.ts), where the runtime thins; checkers and recordings saw them all. */
  readonly traceFolded?: Readonly<Partial<Record<TraceEvent['type'], number>>>;
  onTrace(l: (events: readonly TraceEvent[]) => void): () => void;
  inspect(memAddr?: number): Promise<(VmInspect | null)[]>;
  verdicts(): LabVerdicts;
  history(): readonly ClientOp[];
  /** Client operations completed with a reply (as of the last verdicts), where the runtime counts them itself. */
  readonly completedOps?: number;
  // Commands: a runtime in another thread resolves them once they took effect.
  /** Any learner action (the methods below are shorthands): the same meaning in both runtimes (engine/sim/faults.ts). */
  act(action: LabAction): boolean | Promise<boolean>;
  pause(): void | Promise<void>;
  resume(): void | Promise<void>;
  step(ms?: number): void | Promise<void>;
  setSpeed(speed: number): void | Promise<void>;
  kill(ref: VmRef): unknown;
  powerOffPrimary(): void;
  cutChannel(direction?: 'both' | 'to-backup' | 'to-primary'): void;
  heal(): void;
  partitionFromStorage(ref: VmRef): void;
  partitionFromClients(ref: VmRef): void;
  slowChannel(latencyMs: number, bandwidthMbps?: number): void;
  /** A link's latency (and loss, on the clients' network): the stage's sliders. */
  setLink(link: LinkClass, change: LinkChange): void;
  pauseVm(ref: VmRef): void;
  /**
   * Drop message `id` (a net/sent's id) if it is still on the wire: a reliable link (the logging
   * channel, storage) resends it as `id.r` after its retransmission timeout; on the clients'
   * network it is lost. False when it has already arrived (or was never sent).
   */
  dropMessage(id: string): Promise<boolean>;
  restartBackup(): unknown;
  /** Whether client `id` took it (false: still waiting for its previous reply). */
  request(text: string, id?: number): boolean | Promise<boolean>;
  setWorkload(count: number, thinkMs?: number, keys?: number): void;
  dispose(): void;
  /** Present on the simulator: everything that rests on a deterministic, recorded session. */
  readonly sim?: SimControls;
}

/** The tour's position as the lab pushes it (the chapter's texts are data the page has). */
export interface TourView {
  readonly chapterId: string;
  readonly step: number;
  readonly phase: Phase;
  readonly choice: number | null;
  readonly isLast: boolean;
  /** The current step's expectations that do not hold, once it is done (null before). */
  readonly unmet: readonly string[] | null;
}

/** A simulator lab's state, pushed with the view updates (never polled from its session). */
export interface SimState {
  readonly spec: SessionSpec;
  readonly paused: boolean;
  readonly speed: number;
  /** End of the loaded recording, or null for a live session (or once forked). */
  readonly endMs: number | null;
  /** Set while a seek is replaying: the target virtual time. */
  readonly seeking: number | null;
  /** Every action, including those still ahead when replaying a recording. */
  readonly actions: readonly TimedAction[];
  /** How the replay compares with the loaded recording's checkpoints so far. */
  readonly verification: { readonly checked: number; readonly expected: number; readonly mismatch: string | null };
  readonly tour: TourView | null;
  readonly links: LinkSettings;
}

export type SimLabEvent =
  | { readonly kind: 'reset' }
  | { readonly kind: 'notice'; readonly text: string }
  | { readonly kind: 'changed' }
  | { readonly kind: 'seek'; readonly progress: number | null };

export interface SimControls {
  readonly state: SimState;
  /** Resets (a seek backwards replays from the start), notices (a fork, a recording's end), state changes, seek progress. */
  onEvent(l: (e: SimLabEvent) => void): () => void;
  /** Take an action now (in the tour the player sees it: it may be the awaited one); resolves to whether it had an effect. */
  act(action: LabAction): Promise<boolean>;
  /** Show the run at virtual time `t` (replays with progress events); leaves the clock paused. */
  seek(t: number): Promise<void>;
  /** The tour: the learner's prediction. */
  answer(choice: number): Promise<void>;
  /** The tour: on to the next step (this one finished as written first); false on the last. */
  nextStep(): Promise<boolean>;
  /** The tour: run the current step to its end now. */
  skipStep(): Promise<void>;
  /** The whole session as a recording file (a fresh replay, so the trace is complete). */
  exportRecording(title: string): Promise<{ bytes: Uint8Array; endMs: number; program: string }>;
  /** The share link's fragment (after `#run=`) for the session up to the moment on screen. */
  shareLink(): Promise<string>;
  /** Both VMs' state hashes now (tests compare runs with them). */
  stateHashes(): Promise<Checkpoint['vms']>;
  /** The checkpoints taken so far. */
  checkpoints(): Promise<readonly Checkpoint[]>;
}
