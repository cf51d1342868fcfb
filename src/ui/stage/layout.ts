// Where the stage's nodes sit (one SVG, viewBox 1000×540) and the routes messages travel.
import { CLIENTS, STORAGE, SWITCH, type StageNode } from './stageModel';

export const VIEW_W = 1000;
export const VIEW_H = 540;

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export const CLIENTS_BOX: Box = { x: 8, y: 130, w: 124, h: 220 };
// (taller than its text needs: messages cross it at mid-height, between the title and the MAC lines)
export const SWITCH_BOX: Box = { x: 168, y: 189, w: 112, h: 96 };
/** The two VM slots: the logging channel runs between them. */
export const SLOTS: readonly Box[] = [
  { x: 316, y: 34, w: 258, h: 336 },
  { x: 736, y: 34, w: 258, h: 336 },
];
export const CHANNEL_BOX: Box = { x: 574, y: 100, w: 162, h: 190 };
export const STORAGE_BOX: Box = { x: 390, y: 440, w: 530, h: 94 };
/** Lanes of the logging channel: left-to-right messages on the upper one. */
export const LANE_LR = 140;
export const LANE_RL = 236;
const TOP_WIRE = 14;

export type Point = readonly [number, number];

const cx = (b: Box): number => b.x + b.w / 2;
const cy = (b: Box): number => b.y + b.h / 2;

/** The route from one node to another as a polyline; null when the stage has no such edge. */
export function route(from: StageNode, to: StageNode, slotOf: (vm: string) => number | null): Point[] | null {
  const vmBox = (id: string): Box | null => {
    const s = slotOf(id);
    return s === null ? null : SLOTS[s]!;
  };
  const switchToVm = (id: string): Point[] | null => {
    const s = slotOf(id);
    if (s === null) return null;
    if (s === 0) return [[SWITCH_BOX.x + SWITCH_BOX.w, cy(SWITCH_BOX)], [SLOTS[0]!.x, cy(SWITCH_BOX)]];
    const b = SLOTS[1]!;
    return [[cx(SWITCH_BOX), SWITCH_BOX.y], [cx(SWITCH_BOX), TOP_WIRE], [cx(b), TOP_WIRE], [cx(b), b.y]];
  };
  const clientsToSwitch: Point[] = [[CLIENTS_BOX.x + CLIENTS_BOX.w, cy(SWITCH_BOX)], [SWITCH_BOX.x, cy(SWITCH_BOX)]];
  const rev = (p: Point[] | null): Point[] | null => (p ? [...p].reverse() : null);
  if (from === CLIENTS && to === SWITCH) return clientsToSwitch;
  if (from === CLIENTS) {
    const r = switchToVm(to);
    return r ? [...clientsToSwitch, ...r] : null;
  }
  if (to === CLIENTS) {
    const r = switchToVm(from);
    return r ? [...rev(r)!, ...rev(clientsToSwitch)!] : null;
  }
  if (to === SWITCH) return rev(switchToVm(from));
  if (to === STORAGE || from === STORAGE) {
    const vm = to === STORAGE ? from : to;
    const b = vmBox(vm);
    if (!b) return null;
    const p: Point[] = [[cx(b), b.y + b.h], [cx(b), STORAGE_BOX.y]];
    return to === STORAGE ? p : p.reverse();
  }
  const a = slotOf(from);
  const b = slotOf(to);
  if (a === null || b === null || a === b) return null;
  const lane = a === 0 ? LANE_LR : LANE_RL;
  const xa = a === 0 ? SLOTS[0]!.x + SLOTS[0]!.w : SLOTS[1]!.x;
  const xb = b === 0 ? SLOTS[0]!.x + SLOTS[0]!.w : SLOTS[1]!.x;
  return [[xa, lane], [xb, lane]];
}

/** A function giving the point at fraction `t` (0…1) of a polyline's length. */
export function along(points: readonly Point[]): (t: number) => Point {
  const cum = [0];
  for (let i = 1; i < points.length; i++) cum.push(cum[i - 1]! + Math.hypot(points[i]![0] - points[i - 1]![0], points[i]![1] - points[i - 1]![1]));
  const total = cum[cum.length - 1]!;
  return (t) => {
    const d = Math.max(0, Math.min(1, t)) * total;
    let i = 1;
    while (i < cum.length - 1 && cum[i]! < d) i++;
    const seg = cum[i]! - cum[i - 1]!;
    const f = seg > 0 ? (d - cum[i - 1]!) / seg : 0;
    const p0 = points[i - 1]!;
    const p1 = points[i] ?? p0;
    return [p0[0] + (p1[0] - p0[0]) * f, p0[1] + (p1[1] - p0[1]) * f];
  };
}
