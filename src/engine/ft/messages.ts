// Messages between nodes (VMs, shared storage, the switch, clients), and the environment a node
// is given to talk to the world. The simulator and the Web Worker runtime both provide NodeEnv.

import type { MachineSnapshot } from '../machine/machine';
import type { Rng } from '../util/rng';
import type { TraceBody } from './trace';

declare const nodeIdBrand: unique symbol;
/** A node's address on the network: a VM (`A`, `B`, …), a client (`client-n`), `storage`, `switch`
 * or `service`. Branded so that any other string (a trace label, a program name) is not one by
 * accident: make one with `vmNode`, `clientNode` or `asNodeId` (for ids read back from data). */
export type NodeId = string & { readonly [nodeIdBrand]: true };

/** An id read back from data already checked (a trace, a snapshot, a recording) as a node id. */
export function asNodeId(id: string): NodeId {
  return id as NodeId;
}

/** The address clients send requests to: the switch forwards it to whoever advertised the MAC. */
export const SERVICE = asNodeId('service');
export const STORAGE = asNodeId('storage');
export const SWITCH = asNodeId('switch');

/** A VM's node id: its name (`A`, `B`, …). */
export function vmNode(name: string): NodeId {
  return asNodeId(name);
}

const VM_NAMES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];

/** The `n`-th VM a session starts (from 0): A to H, then VM9, VM10, … (both runtimes). */
export function nthVm(n: number): NodeId {
  return vmNode(VM_NAMES[n] ?? `VM${n + 1}`);
}

/** Client `n`'s node id (`client-n`): the one place that spelling lives. */
export function clientNode(n: number): NodeId {
  return asNodeId(`client-${n}`);
}

export function isClientNode(id: string): boolean {
  return id.startsWith('client-');
}

/** The client number of a client's node id (NaN for any other node). */
export function clientNumber(id: string): number {
  return isClientNode(id) ? Number(id.slice('client-'.length)) : NaN;
}

export type Message =
  /** Logging channel, primary → backup: an encoded LogBatch (also the primary's heartbeat). */
  | { readonly t: 'log'; readonly batch: Uint8Array; readonly heartbeat: boolean }
  /** Logging channel, backup → primary: acknowledgement (also the backup's heartbeat). */
  | {
      readonly t: 'ack';
      readonly ackedSeq: number;
      readonly consumedSeq: number;
      readonly icount: number;
      readonly heartbeat: boolean;
    }
  /**
   * FT VMotion: the live VM's machine, to start a new backup from, with the pair's test-and-set
   * generation and the last clock value the guest read (so the guest's clock never runs back).
   */
  | {
      readonly t: 'snapshot';
      readonly snapshot: MachineSnapshot;
      readonly nextSeq: number;
      readonly gen: number;
      readonly lastClock: number | null;
    }
  /** Client ↔ service: a frame (request or reply). */
  | { readonly t: 'frame'; readonly frame: Uint8Array }
  /** VM → switch: send the service MAC's traffic to me. */
  | { readonly t: 'advertise' }
  /** VM → storage. */
  | {
      readonly t: 'disk';
      readonly tag: number;
      readonly op: 'read' | 'write';
      readonly block: number;
      readonly data: Uint8Array | null;
      /** The writer's test-and-set generation: storage refuses writes from a stale one. */
      readonly gen: number;
    }
  /** Test-and-set, asked by a VM of the pair at generation `gen`. */
  | { readonly t: 'tas'; readonly tag: number; readonly gen: number }
  /** Storage → VM. */
  | { readonly t: 'disk-done'; readonly tag: number; readonly ok: boolean; readonly data: Uint8Array | null }
  | { readonly t: 'tas-result'; readonly tag: number; readonly won: boolean; readonly holder: NodeId | null; readonly gen: number };

export interface Timer {
  cancel(): void;
}

/** A node whose timers are data: the simulator runs `onTimer(key, arg)` instead of a closure. */
export interface TimerTarget {
  onTimer(key: string, arg: number): void;
}

/** Everything a node may use to reach the world. Virtual time; seeded randomness. */
export interface NodeEnv {
  readonly id: NodeId;
  now(): number;
  /**
   * Run `fn` after `delayMs`. Nodes also name the timer (`key`, `arg`): the simulator schedules
   * that as data and calls the node's `onTimer(key, arg)`, so its queue can be snapshotted; a
   * runtime that never snapshots may just run `fn` (which must do the same).
   */
  after(delayMs: number, fn: () => void, key?: string, arg?: number): Timer;
  send(to: NodeId, msg: Message): void;
  trace(ev: TraceBody): void;
  /** This node's own randomness (the values a non-deterministic instruction reads). */
  readonly rng: Rng;
}

/** Bytes a message occupies on a link, for bandwidth and statistics. */
export function messageBytes(m: Message): number {
  switch (m.t) {
    case 'log':
      return 8 + m.batch.length;
    case 'snapshot':
      return 65536 + 256;
    case 'frame':
      return 14 + m.frame.length;
    case 'disk':
      return 24 + (m.data?.length ?? 0);
    case 'disk-done':
      return 16 + (m.data?.length ?? 0);
    default:
      return 24;
  }
}
