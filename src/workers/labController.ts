// What the page needs of a running lab, whichever runtime drives it: the Web Worker runtime
// (FtLab: each VM in its own worker, real threads) or the deterministic simulator (SimLab:
// recordable, seekable, used by the guided tour). The UI only reads the trace and sends commands.

import type { FtConfig } from '../engine/ft/hypervisor';
import type { VmInspect } from '../engine/ft/inspect';
import type { NodeId } from '../engine/ft/messages';
import type { SharedStorage } from '../engine/ft/storage';
import type { TraceEvent } from '../engine/ft/trace';
import type { LabVerdicts } from '../engine/sim/checkers/verdicts';
import type { ClientOp } from '../engine/sim/clients';
import type { ClockState } from './realm';

export type VmRef = 'primary' | 'backup';

export interface LabController {
  readonly kind: 'workers' | 'simulator';
  readonly trace: readonly TraceEvent[];
  readonly config: FtConfig;
  readonly storage: SharedStorage;
  readonly macOwner: NodeId | null;
  readonly virtualNow: number;
  readonly clock: ClockState;
  /** Frames the switch dropped (addressed to no client, or a port's queue full), where the runtime counts them. */
  readonly framesDropped?: number;
  onTrace(l: (events: readonly TraceEvent[]) => void): () => void;
  inspect(memAddr?: number): Promise<(VmInspect | null)[]>;
  verdicts(): LabVerdicts;
  history(): ClientOp[];
  pause(): void;
  resume(): void;
  step(ms?: number): void;
  setSpeed(speed: number): void;
  kill(ref: VmRef): unknown;
  powerOffPrimary(): void;
  cutChannel(direction?: 'both' | 'to-backup' | 'to-primary'): void;
  heal(): void;
  partitionFromStorage(ref: VmRef): void;
  partitionFromClients(ref: VmRef): void;
  slowChannel(latencyMs: number, bandwidthMbps?: number): void;
  pauseVm(ref: VmRef): void;
  restartBackup(): unknown;
  request(text: string, id?: number): boolean;
  setWorkload(count: number, thinkMs?: number, keys?: number): void;
  dispose(): void;
}
