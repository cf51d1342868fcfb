import { describe, expect, it } from 'vitest';
import { nextSpeed, SPEEDS } from './speeds';
import { HUMAN_SPEED } from './stage/stageModel';

describe('+ and − move along the speed control\'s own stops', () => {
  it('from the default (human pace), − is slower and + is faster', () => {
    expect(SPEEDS).toContain(HUMAN_SPEED);
    expect(nextSpeed(HUMAN_SPEED, -1)).toBeLessThan(HUMAN_SPEED);
    expect(nextSpeed(HUMAN_SPEED, 1)).toBeGreaterThan(HUMAN_SPEED);
    expect(nextSpeed(HUMAN_SPEED, 1)).toBe(0.1);
  });
  it('stops at the ends, and from between stops goes to the nearest one that way', () => {
    expect(nextSpeed(SPEEDS[0]!, -1)).toBe(SPEEDS[0]);
    expect(nextSpeed(50, 1)).toBe(50);
    expect(nextSpeed(0.5, 1)).toBe(1);
    expect(nextSpeed(0.5, -1)).toBe(0.1);
  });
});
