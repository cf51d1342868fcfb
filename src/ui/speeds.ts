// The speed control's stops, shared by the slider and the + / − keys.
import { HUMAN_SPEED } from './stage/stageModel';

/** The speed control's stops (virtual ms per wall ms), slowest first: the slider and + / − share them. */
export const SPEEDS = [0.001, 0.01, HUMAN_SPEED, 0.1, 1, 10, 50];

/** The speed a + or − press moves to from `s` (from a speed between stops, the nearest one that way). */
export function nextSpeed(s: number, dir: 1 | -1): number {
  const i = SPEEDS.indexOf(s);
  if (i >= 0) return SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + dir))]!;
  return dir > 0 ? (SPEEDS.find((x) => x > s) ?? SPEEDS.at(-1)!) : ([...SPEEDS].reverse().find((x) => x < s) ?? SPEEDS[0]!);
}
