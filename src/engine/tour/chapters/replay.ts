// Tour chapter 2. replay (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 2. replay

export const replay: Chapter = {
  id: 'replay',
  title: 'Non-determinism and deterministic replay',
  summary: 'The primary logs each timer interrupt at its icount and the value of each clock or random read. The backup replays them there and prints the same lines, digit for digit.',
  scenario: {
    name: 'tour: replay',
    program: 'ticker',
    seed: 1,
    durationMs: 300,
  },
  pace: 5,
  steps: [
    {
      title: 'An event: the timer interrupt',
      text: "`ticker` sets a 10 ms timer and sleeps in `wfi`. Each tick wakes it. On every 5th tick it reads the `CLOCK` and `RANDOM` ports and prints what it got.\n\nWhen A's timer fires, the hypervisor first appends a log entry, 'timer at icount N', and only then interrupts the machine. The entry goes to B over the logging channel.",
      highlight: ['vm-primary', 'log-buffer', 'channel-view'],
      predict: {
        question: "A's first tick arrives at icount 8. When must B take it?",
        choices: ["When B's own timer fires, 10 ms after B started", 'At icount 8, exactly where A took it', 'Anywhere before the next tick'],
        answer: 1,
        explain: 'An interrupt one instruction earlier or later can change what the program does. So the backup ignores its own timer. It stops at icount 8 and injects the logged interrupt there.',
      },
      runMs: 12,
      expect: [
        { kind: 'event', event: { type: 'entry/appended', vm: 'A', icount: 8, kind: 'timer' } },
        { kind: 'event', event: { type: 'input/delivered', vm: 'A', icount: 8 } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'timer', icount: 8, atIcount: 8 } },
      ],
    },
    {
      title: 'The backup waits for the log',
      text: 'Between ticks B has nothing to do, and it may not guess. It runs only up to the next log entry or the horizon A sent, then waits. The VM panel shows this stall as "waiting for log".\n\nEach replayed entry shows two numbers: the icount where A logged it and the icount where B consumed it. They are always equal.',
      highlight: ['vm-backup', 'feed'],
      runMs: 30,
      pace: 8,
      expect: [
        { kind: 'event', event: { type: 'vm/stall', vm: 'B', reason: 'log-empty' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'timer', icount: 65, atIcount: 65 } },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Operations: the clock and a random number',
      text: "At the 5th tick, `ticker` executes `in r8, CLOCK` and `in r9, RANDOM`. On A, the hypervisor answers from host A and appends a `nondet` log entry with each value.\n\nHost B's clock is not host A's. Two physical hosts never agree to the millisecond, and their random number generators certainly differ.",
      highlight: ['vm-primary', 'vm-backup', 'console'],
      predict: {
        question: 'What will B print for tick 5?',
        choices: ["Host B's own clock and random number", "A's line, digit for digit", 'Nothing: the backup skips non-deterministic reads'],
        answer: 1,
        explain: "B executes the same `in` at the same icount, and its hypervisor answers with the value from the log instead of asking host B. The line matches A's digit for digit, and it is dropped like all backup output.",
      },
      runMs: 13,
      expect: [
        { kind: 'event', event: { type: 'entry/appended', vm: 'A', icount: 99, kind: 'nondet' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'nondet', icount: 100, atIcount: 100 } },
        { kind: 'event', event: { type: 'console', vm: 'A', text: 'tick 5 clock=1700000894 random=0x6537b6e6\n' } },
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'tick 5 clock=1700000894 random=0x6537b6e6\n' } },
      ],
    },
    {
      title: 'Checking the lockstep',
      text: 'A also logs its state hash every 10 ms. B compares its own hash at the same icount. A mismatch would be a divergence: B would no longer be a copy of A.\n\nRun on to tick 10. The Replay checker stays green because every hash matched.',
      highlight: ['verdicts', 'timeline'],
      runMs: 55,
      pace: 15,
      expect: [
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'tick 10 clock=1700000944 random=0xa1a286c7\n' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'hash', icount: 637, atIcount: 637 } },
        { kind: 'no-event', event: { type: 'divergence' } },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What the log holds',
      text: 'The paper splits non-determinism into two kinds. Events, such as timer interrupts, I/O completions and arriving packets, are logged with the exact instruction where they happened. Operations, such as clock reads and random numbers, are logged with their result.\n\nAn idle guest logs almost nothing but timer ticks. A busy server logs mostly packets and disk data.',
      predict: {
        question: 'Suppose the timer interrupts were not logged, and B took ticks from its own timer. What would happen?',
        choices: ['Nothing: one instruction more or less does not matter', 'B would sometimes take a tick at a different icount, and its state could drift away from A', 'B would halt at once'],
        answer: 1,
        explain: 'If a tick lands before a request on one machine and after it on the other, the program can branch differently. The next chapter shows what that does to a lease server.',
      },
      expect: [{ kind: 'verdict', which: 'replay', ok: true }],
    },
  ],
};
