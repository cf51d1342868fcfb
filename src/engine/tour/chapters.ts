// The guided tour: ten chapters, each a scenario and the steps that narrate it. Plain data; the
// ChapterPlayer plays them and chapters.test.ts plays every one through and checks what each
// step says the learner will see. Numbers in the narration (icounts, times, who wins
// test-and-set) come from these scenarios and seeds: the simulator is deterministic, and the
// tests fail if a change to the engine makes a step's expectations false.

import type { Chapter } from './types';

const determinism: Chapter = {
  id: 'determinism',
  title: 'A VM is a deterministic machine',
  summary: 'Two copies of one program, started in the same state, print the same thing and stop at the same instruction count.',
  scenario: {
    name: 'tour: determinism',
    program: 'hello',
    seed: 1,
    durationMs: 100,
    // Slowed down a hundredfold so the instruction counts can be watched.
    ft: { instructionsPerMs: 20 },
  },
  pace: 8,
  steps: [
    {
      title: 'Two copies of one machine',
      text: 'The tiny machine has 16 registers, 64 KiB of memory, a console, a timer, a NIC and a disk. It counts every instruction it executes: its `icount`.\n\nVM A is the **primary**. VM B, the **backup**, runs on another host and loads the same program, `hello`, into the same initial state. The machines run slowly here: 20 instructions per virtual ms.\n\n`hello` prints a greeting and twelve Fibonacci numbers, then halts. It reads no clock, no random number, no packet.',
      highlight: ['vm-primary', 'vm-backup', 'console'],
      predict: {
        question: 'B gets no input from anyone. What will its console show?',
        choices: ['Nothing: it has no input', 'Exactly what A prints', 'The same lines, in another order'],
        answer: 1,
        explain: 'Same program, same initial state, no outside influence: every instruction computes the same result on B as on A. That is all determinism means.',
      },
      until: { type: 'console', vm: 'A' },
      runMs: 10,
      expect: [
        { kind: 'event', type: 'console', vm: 'A', text: 'Hello from the tiny machine!' },
        { kind: 'no-event', type: 'console', vm: 'B' },
      ],
    },
    {
      title: 'The backup trails the primary',
      text: 'A has printed its greeting at 7 ms; B has not yet. B never runs past the last icount A told it about (the *horizon*), and with nothing to log A tells it only at its heartbeat, every 10 ms. So B trails A by up to a heartbeat.\n\nWatch B catch up to the same line.',
      highlight: ['vm-backup', 'console'],
      runMs: 10,
      expect: [
        { kind: 'event', type: 'console', vm: 'B', text: 'Hello from the tiny machine!' },
        { kind: 'event', type: 'console', vm: 'B', text: '"suppressed":true' },
        { kind: 'role', vm: 'B', role: 'backup' },
      ],
    },
    {
      title: "The backup's output goes nowhere",
      text: "B's line is grey: the backup's hypervisor drops every output of the backup. Only the primary talks to the outside world; B computes the same things silently.\n\nEvery 10 ms A also puts its **state hash** (registers and memory) in a **log entry**, tagged with its icount. When B reaches that icount it hashes its own state and compares.",
      highlight: ['log-buffer', 'channel-view', 'verdicts'],
      predict: {
        question: 'A logs its state hash at icounts 200, 400, 600 and 800. What will B find when it reaches each?',
        choices: ['The same hash, every time', 'Slightly different hashes: B runs later', 'Different hashes: B is on another host'],
        answer: 0,
        explain: "The hash covers the machine's state, not the wall clock or the host. At icount 400 both machines have executed the same 400 instructions on the same data.",
      },
      runMs: 35,
      expect: [
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"kind":"hash"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"icount":600' },
        { kind: 'no-event', type: 'divergence' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Same end',
      text: 'A printed its Fibonacci line at 41 ms and halted. B follows about 10 ms later.\n\nBoth machines stop at icount **826** with the same state hash: the Replay checker stays green.',
      highlight: ['vm-primary', 'vm-backup', 'verdicts'],
      runMs: 15,
      expect: [
        { kind: 'event', type: 'console', vm: 'A', text: '89 144' },
        { kind: 'event', type: 'console', vm: 'B', text: '89 144' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What breaks determinism',
      text: "Real servers are not like `hello`. They read the time of day, take timer interrupts, receive packets and complete disk reads. None of that follows from the instructions: the host decides what and when.\n\nVMware FT's answer is **deterministic replay**: the primary records every such thing in the log, with the exact icount it happened at, and the backup replays it there. The next chapter shows it.",
      predict: {
        question: 'Which of these can make B differ from A if nobody tells B about it?',
        choices: ['An add instruction', 'A read of the clock', 'A jump back to a loop'],
        answer: 1,
        explain: 'Arithmetic and jumps depend only on the state, which is the same. A clock read returns what the host says, and B runs on another host at another moment.',
      },
      expect: [{ kind: 'verdict', which: 'replay', ok: true }],
    },
  ],
};

const replay: Chapter = {
  id: 'replay',
  title: 'Non-determinism and deterministic replay',
  summary: "The primary logs each timer interrupt at its icount and each clock and random read's value; the backup replays them there and prints the same lines.",
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
      text: '`ticker` sets a 10 ms timer and sleeps (`wfi`). Each tick wakes it; on every 5th tick it reads the `CLOCK` and `RANDOM` ports and prints them.\n\nWhen the timer fires, A does not just interrupt its machine. It first appends a log entry: *timer at icount N*. The entry goes over the **logging channel** to B.',
      highlight: ['vm-primary', 'log-buffer', 'channel-view'],
      predict: {
        question: "A's first tick is delivered at icount 8. When must B take it?",
        choices: ["When B's own timer fires, 10 ms after B started", 'At icount 8, exactly where A took it', 'Anywhere before the next tick'],
        answer: 1,
        explain: 'An interrupt one instruction earlier or later can change what the program does. So the backup ignores its own timer and delivers the logged interrupt at the logged icount: B stops at icount 8 and injects it there.',
      },
      runMs: 12,
      expect: [
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"kind":"timer"' },
        { kind: 'event', type: 'input/delivered', vm: 'A', text: '"icount":8' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"timer","icount":8,"atIcount":8' },
      ],
    },
    {
      title: 'The backup waits for the log',
      text: 'Between ticks B has nothing to do but it may not guess: it runs only up to the next log entry or the horizon A sent, then stops (*log-empty*). Each entry it replays shows the icount it was logged at and the icount B consumed it at. They are always equal.',
      highlight: ['vm-backup', 'feed'],
      runMs: 30,
      expect: [
        { kind: 'event', type: 'vm/stall', vm: 'B', text: 'log-empty' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"icount":65,"atIcount":65' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Operations: the clock and a random number',
      text: "At the 5th tick `ticker` executes `in r8, CLOCK` and `in r9, RANDOM`. On A the hypervisor answers from A's host and appends a `nondet` entry holding each value.\n\nHost B's clock is not host A's: physical hosts never agree to the millisecond, and their random generators certainly differ.",
      highlight: ['vm-primary', 'vm-backup', 'console'],
      predict: {
        question: 'What will B print for tick 5?',
        choices: ["Its own host's clock and random number", "A's line, digit for digit", 'Nothing: the backup skips non-deterministic reads'],
        answer: 1,
        explain: "B executes the same `in` at the same icount, and its hypervisor answers with the value from the log instead of asking its host. B's line matches A's digit for digit (and is dropped, as backup output is).",
      },
      runMs: 13,
      expect: [
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"kind":"nondet"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"nondet"' },
        { kind: 'event', type: 'console', vm: 'A', text: 'tick 5 clock=1700000894 random=0x6537b6e6' },
        { kind: 'event', type: 'console', vm: 'B', text: 'tick 5 clock=1700000894 random=0x6537b6e6' },
      ],
    },
    {
      title: 'Checking the lockstep',
      text: "Every 10 ms A also logs its state hash. B compares at the same icount; a mismatch would be a **divergence**.\n\nRun on to tick 10. The Replay checker stays green: every hash matched.",
      highlight: ['verdicts', 'timeline'],
      runMs: 55,
      pace: 15,
      expect: [
        { kind: 'event', type: 'console', vm: 'B', text: 'tick 10' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"hash"' },
        { kind: 'no-event', type: 'divergence' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What the log holds',
      text: 'The paper splits non-determinism in two. **Events** (timer and I/O-completion interrupts, arriving packets) are logged with the exact instruction they happened at. **Operations** (clock reads, random numbers) are logged with their result.\n\nAn idle guest logs almost only timer ticks. A busy server logs mostly packets and disk data.',
      predict: {
        question: 'Suppose A logged the timer interrupts but with the wrong icount, off by one. What would happen?',
        choices: ['Nothing: one instruction does not matter', 'B could take a different path, and its state would no longer match', 'B would halt at once'],
        answer: 1,
        explain: 'If the tick lands after a load instead of before it, the program can branch differently. The next chapter shows what that does to a lease server.',
      },
      expect: [{ kind: 'verdict', which: 'replay', ok: true }],
    },
  ],
};

const failover: Chapter = {
  id: 'failover',
  title: 'Failover',
  summary: 'Kill the primary: the backup hears silence, wins test-and-set, replays the rest of its log, goes live, advertises the MAC and re-issues the disk write that was in flight.',
  scenario: {
    name: 'tour: failover',
    program: 'kv-server',
    seed: 1,
    durationMs: 600,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    {
      title: 'Two clients, one service',
      text: '',
      runMs: 50,
      expect: [],
    },
    {
      title: 'A write in flight',
      text: '',
      until: { type: 'storage/disk' },
      runMs: 40,
      expect: [],
    },
    {
      title: 'Kill the primary',
      text: '',
      ask: { prompt: 'Click Kill primary now', action: { kind: 'kill-primary' } },
      until: { type: 'failure/suspected', vm: 'B' },
      runMs: 100,
      expect: [],
    },
    {
      title: 'Test-and-set',
      text: '',
      until: { type: 'vm/went-live', vm: 'B' },
      runMs: 20,
      expect: [],
    },
    {
      title: 'Go-live',
      text: '',
      runMs: 10,
      expect: [],
    },
    {
      title: 'Service again',
      text: '',
      runMs: 150,
      pace: 30,
      expect: [],
    },
  ],
};

const splitBrain: Chapter = {
  id: 'split-brain',
  title: 'Split brain',
  summary: '',
  scenario: {
    name: 'tour: split brain',
    program: 'kv-server',
    seed: 1,
    durationMs: 800,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    { title: 'a', text: '', runMs: 40, expect: [] },
    { title: 'cut', text: '', ask: { prompt: 'Click Cut channel now', action: { kind: 'cut-channel', direction: 'both' } }, until: { type: 'failure/suspected' }, runMs: 100, expect: [] },
    { title: 'tas', text: '', until: { type: 'tas/lost' }, runMs: 20, pace: 1, expect: [] },
    { title: 'after', text: '', runMs: 60, expect: [] },
    { title: 'restart', text: '', do: [{ kind: 'restart-backup' }], runMs: 30, expect: [] },
    { title: 'pause', text: '', do: [{ kind: 'pause', vm: 'primary', forMs: 100 }], until: { type: 'vm/went-live' }, runMs: 100, expect: [] },
    { title: 'wake', text: '', until: { type: 'tas/lost' }, runMs: 100, expect: [] },
    { title: 'end', text: '', runMs: 50, expect: [] },
  ],
};

const divergence: Chapter = {
  id: 'divergence',
  title: 'Why divergence is a disaster',
  summary: '',
  scenario: {
    name: 'tour: divergence',
    program: 'lease-server',
    seed: 1,
    durationMs: 200,
    ft: { unlogged: ['timer'], heartbeatMs: 5, failureTimeoutMs: 10 },
    network: { channel: { latencyMs: 0.05 } },
    requests: [
      { client: 1, at: 5, request: 'LEASE chunk42' },
      { client: 2, at: 49.0, request: 'LEASE chunk42' },
      { client: 1, at: 49.2, request: 'LEASE chunk42' },
      { client: 2, at: 76, request: 'LEASE chunk42' },
    ],
    faults: [
      { at: 20, kind: 'slow-channel', latencyMs: 3 },
      { at: 58, kind: 'kill-primary' },
    ],
  },
  pace: 5,
  steps: [
    { title: 'a', text: '', runMs: 7, expect: [] },
    { title: 'b', text: '', runMs: 5, expect: [] },
    { title: 'c', text: '', runMs: 36, pace: 10, expect: [] },
    { title: 'd', text: '', runMs: 9, expect: [] },
    { title: 'e', text: '', until: { type: 'vm/went-live' }, runMs: 30, expect: [] },
    { title: 'f', text: '', runMs: 10, expect: [] },
  ],
};

const outputRule: Chapter = {
  id: 'output-rule',
  title: 'The Output Rule',
  summary: '',
  scenario: {
    name: 'tour: output rule off',
    program: 'kv-server',
    seed: 1,
    durationMs: 400,
    ft: { outputRule: false },
    network: { channel: { bandwidthMbps: 0.1 } },
    requests: [
      { client: 1, at: 20, request: 'PUT counter 10' },
      { client: 1, at: 100, request: 'INCR counter' },
      { client: 2, at: 180, request: 'INCR counter' },
    ],
    faults: [{ at: 104, kind: 'kill-primary' }],
  },
  pace: 20,
  steps: [
    { title: 'a', text: '', until: { type: 'client/reply' }, runMs: 30, pace: 10, expect: [] },
    { title: 'b', text: '', runMs: 80, expect: [] },
    { title: 'c', text: '', until: { type: 'vm/went-live' }, runMs: 80, expect: [] },
    { title: 'd', text: '', runMs: 20, expect: [] },
    { title: 'e', text: '', expect: [] },
  ],
};

const channel: Chapter = {
  id: 'channel',
  title: 'Managing the logging channel',
  summary: '',
  scenario: {
    name: 'tour: channel',
    program: 'primes',
    seed: 1,
    durationMs: 600,
    ft: { primaryLogCapacity: 6, backupLogCapacity: 6 },
  },
  pace: 20,
  steps: [
    { title: 'a', text: '', runMs: 30, expect: [] },
    { title: 'b', text: '', do: [{ kind: 'slow-backup', speed: 0.5 }], until: { type: 'vm/throttle', vm: 'A' }, runMs: 60, expect: [] },
    { title: 'c', text: '', until: { type: 'vm/stall', vm: 'A' }, runMs: 100, expect: [] },
    { title: 'd', text: '', runMs: 100, expect: [] },
    { title: 'e', text: '', runMs: 200, pace: 40, expect: [] },
  ],
};

const powerOff: Chapter = {
  id: 'power-off',
  title: 'Power off versus crash',
  summary: '',
  scenario: {
    name: 'tour: power off',
    program: 'kv-server',
    seed: 1,
    durationMs: 600,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    { title: 'a', text: '', runMs: 40, expect: [] },
    { title: 'b', text: '', ask: { prompt: 'Click Power off', action: { kind: 'power-off-primary' } }, runMs: 100, expect: [] },
    { title: 'c', text: '', runMs: 60, expect: [] },
  ],
};

const redundancy: Chapter = {
  id: 'redundancy',
  title: 'Restoring redundancy',
  summary: '',
  scenario: {
    name: 'tour: redundancy',
    program: 'kv-server',
    seed: 1,
    durationMs: 800,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    { title: 'a', text: '', runMs: 40, expect: [] },
    { title: 'b', text: '', do: [{ kind: 'kill-primary' }], until: { type: 'vm/went-live' }, runMs: 100, expect: [] },
    { title: 'c', text: '', runMs: 40, expect: [] },
    { title: 'd', text: '', ask: { prompt: 'Click Restart backup', action: { kind: 'restart-backup' } }, runMs: 40, expect: [] },
    { title: 'e', text: '', do: [{ kind: 'kill-primary' }], until: { type: 'vm/went-live' }, runMs: 100, expect: [] },
    { title: 'f', text: '', runMs: 40, expect: [] },
  ],
};

const disk: Chapter = {
  id: 'disk',
  title: 'Disk I/O',
  summary: '',
  scenario: {
    name: 'tour: disk',
    program: 'kv-server',
    seed: 1,
    durationMs: 400,
  },
  pace: 2,
  steps: [
    { title: 'a', text: '', runMs: 2, expect: [] },
    { title: 'b', text: '', runMs: 10, pace: 10, expect: [] },
    { title: 'c', text: '', do: [{ kind: 'request', client: 1, text: 'PUT x 1' }], until: { type: 'client/reply' }, runMs: 10, expect: [] },
    { title: 'd', text: '', runMs: 10, expect: [] },
    { title: 'e', text: '', do: [{ kind: 'request', client: 1, text: 'GET x' }], until: { type: 'client/reply' }, runMs: 10, expect: [] },
    { title: 'f', text: '', runMs: 10, expect: [] },
  ],
};

export const CHAPTERS: readonly Chapter[] = [determinism, replay, divergence, outputRule, failover, splitBrain, channel, powerOff, redundancy, disk];

export function chapterById(id: string): Chapter | undefined {
  return CHAPTERS.find((c) => c.id === id);
}
