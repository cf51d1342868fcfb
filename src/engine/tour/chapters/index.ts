// The guided tour: ten chapters, each a scenario and the steps that narrate it. Plain data; the
// ChapterPlayer plays them, and chapters.test.ts plays every one through and checks what each
// step says the learner will see. The numbers in the narration (icounts, times, who wins
// test-and-set) come from these scenarios and seeds: the simulator is deterministic, so they
// are the same on every run, and the tests fail if an engine change makes a step's claim false.

import type { Chapter } from '../types';
import { channel } from './channel';
import { determinism } from './determinism';
import { disk } from './disk';
import { divergence } from './divergence';
import { failover } from './failover';
import { outputRule } from './outputRule';
import { powerOff } from './powerOff';
import { redundancy } from './redundancy';
import { replay } from './replay';
import { splitBrain } from './splitBrain';

export const CHAPTERS: readonly Chapter[] = [determinism, replay, divergence, outputRule, failover, splitBrain, channel, powerOff, redundancy, disk];

export function chapterById(id: string): Chapter | undefined {
  return CHAPTERS.find((c) => c.id === id);
}
