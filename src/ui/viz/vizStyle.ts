// How each kind of message and marker looks: colour (a CSS variable, light and dark themes in
// styles.css), dash pattern and arrowhead or symbol shape, so no kind is told apart by colour alone.
import { symbolCircle, symbolDiamond, symbolSquare, symbolStar, symbolTimes, symbolTriangle, symbolWye, type SymbolType } from 'd3';
import type { MarkerKind, MessageKind } from './timelineLayout';

export type HeadShape = 'triangle' | 'chevron' | 'circle' | 'diamond' | 'square' | 'none';

export interface MessageStyle {
  readonly name: string;
  readonly color: string;
  readonly dash: string | null;
  readonly width: number;
  readonly head: HeadShape;
}

export const MESSAGE_STYLE: Record<MessageKind, MessageStyle> = {
  request: { name: 'client request', color: 'var(--viz-request)', dash: '1 3', width: 2, head: 'diamond' },
  log: { name: 'log batch', color: 'var(--viz-log)', dash: null, width: 1.6, head: 'triangle' },
  ack: { name: 'ack', color: 'var(--viz-ack)', dash: '5 3', width: 1.4, head: 'chevron' },
  output: { name: 'output (reply, disk write)', color: 'var(--viz-output)', dash: null, width: 2.4, head: 'circle' },
  tas: { name: 'test-and-set', color: 'var(--viz-tas)', dash: '8 3 2 3', width: 1.8, head: 'square' },
  snapshot: { name: 'snapshot', color: 'var(--viz-snapshot)', dash: '12 4', width: 2.4, head: 'triangle' },
  disk: { name: 'disk request', color: 'var(--viz-disk)', dash: '4 2', width: 1.2, head: 'chevron' },
  heartbeat: { name: 'heartbeat', color: 'var(--viz-heartbeat)', dash: '2 3', width: 1, head: 'none' },
};

/** Kinds in legend order. */
export const MESSAGE_KINDS = Object.keys(MESSAGE_STYLE) as MessageKind[];

export interface MarkerStyle {
  readonly name: string;
  readonly color: string;
  readonly symbol: SymbolType;
  /** Stroked (an ✕) rather than filled. */
  readonly stroke?: boolean;
}

export const MARKER_STYLE: Record<MarkerKind, MarkerStyle> = {
  'went-live': { name: 'went live', color: 'var(--viz-good)', symbol: symbolStar },
  suspected: { name: 'suspects its peer', color: 'var(--viz-warn)', symbol: symbolTriangle },
  divergence: { name: 'divergence / guest fault', color: 'var(--viz-bad)', symbol: symbolDiamond },
  fault: { name: 'fault injected', color: 'var(--viz-bad)', symbol: symbolWye },
  dead: { name: 'dead', color: 'var(--fg)', symbol: symbolTimes, stroke: true },
  halted: { name: 'halted', color: 'var(--viz-halted)', symbol: symbolSquare },
  role: { name: 'role change', color: 'var(--viz-log)', symbol: symbolCircle },
  tas: { name: 'test-and-set result', color: 'var(--viz-tas)', symbol: symbolWye },
  stall: { name: 'log full (stall)', color: 'var(--viz-warn)', symbol: symbolSquare },
};

export const MARKER_KINDS = (Object.keys(MARKER_STYLE) as MarkerKind[]).filter((k) => k !== 'tas' && k !== 'stall');

/** The path of an arrowhead drawn in a 10×10 box with the tip at (10, 5). */
export function headPath(shape: HeadShape): string {
  switch (shape) {
    case 'triangle':
      return 'M0,0 L10,5 L0,10 Z';
    case 'chevron':
      return 'M1,1 L9,5 L1,9';
    case 'circle':
      return 'M10,5 A4,4 0 1,1 2,5 A4,4 0 1,1 10,5 Z';
    case 'diamond':
      return 'M0,5 L5,1 L10,5 L5,9 Z';
    case 'square':
      return 'M2,1.5 L10,1.5 L10,8.5 L2,8.5 Z';
    case 'none':
      return '';
  }
}
