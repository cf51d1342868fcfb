// Tour chapter 1. determinism (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 1. determinism

export const determinism: Chapter = {
  id: 'determinism',
  title: 'A VM is a deterministic machine',
  summary: 'Two copies of one program, started in the same state, print the same lines and halt at the same instruction count with the same state hash.',
  scenario: {
    name: 'tour: determinism',
    program: 'hello',
    seed: 1,
    durationMs: 100,
    // A hundred times slower than usual, so the two instruction counts can be watched.
    ft: { instructionsPerMs: 20 },
  },
  pace: 8,
  steps: [
    {
      title: 'Two copies of one machine',
      text: 'The tiny machine has 16 registers, 64 KiB of memory, a console, a timer, a NIC and a disk. It counts every instruction it executes: its `icount`.\n\nVM A is the primary. VM B, the backup, runs on another host. Both load the same program, `hello`, into the same initial state. In this chapter they run slowly, 20 instructions per virtual millisecond.\n\n`hello` prints a greeting and twelve Fibonacci numbers, then halts. It reads no clock, no random number and no packet.',
      highlight: ['vm-primary', 'vm-backup'],
      predict: {
        question: 'Nobody sends B anything about the program. What will B print?',
        choices: ['Nothing, because it has no input', 'Exactly what A prints', 'The same lines in a different order'],
        answer: 1,
        explain: 'B runs the same program from the same state, and nothing from outside gets in. Every instruction gives B the same result it gave A. That is all determinism means.',
      },
      until: { type: 'console', vm: 'A' },
      runMs: 10,
      expect: [
        { kind: 'event', event: { type: 'console', vm: 'A', text: 'Hello from the tiny machine!\n' } },
        { kind: 'no-event', event: { type: 'console', vm: 'B' } },
      ],
    },
    {
      title: 'The backup trails the primary',
      text: "A printed its greeting at 7 ms. B has printed nothing yet.\n\nB never runs past the last icount A has told it about (Lockstep calls it the horizon; in the paper the backup runs up to the instruction of its next log entry). A tells B only when it sends something on the logging channel. Here that means a state hash every 10 ms. So B trails A by up to 10 ms.\n\nWatch B's console.",
      highlight: ['vm-backup', 'console'],
      runMs: 10,
      expect: [
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'Hello from the tiny machine!\n' } },
        { kind: 'event', event: { type: 'console', vm: 'B', suppressed: true } },
        { kind: 'role', vm: 'B', role: 'backup' },
      ],
    },
    {
      title: "The backup's output goes nowhere",
      text: "B printed the same line at 16 ms. It is grey because the hypervisor drops every output the backup makes. Only the primary talks to the outside world. B computes the same things and shows them to no one.\n\nEvery 10 ms A puts its state hash, a digest of its registers and memory, into a log entry tagged with its icount. When B reaches that icount, it hashes its own state and compares. (The hash entries are Lockstep's addition, so you can see the lockstep hold; the paper logs no hashes.)",
      highlight: ['log-buffer', 'channel-view', 'verdicts'],
      predict: {
        question: 'A logs its state hash at icounts 200, 400, 600 and 800. What will B find at each?',
        choices: ['The same hash every time', 'Slightly different hashes, because B runs later', 'Different hashes, because B runs on another host'],
        answer: 0,
        explain: "The hash covers the machine's state, not the wall clock or the host. At icount 400 both machines have executed the same 400 instructions on the same data.",
      },
      runMs: 35,
      expect: [
        { kind: 'event', event: { type: 'entry/appended', vm: 'A', kind: 'hash' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'hash', icount: 800, atIcount: 800 } },
        { kind: 'event', event: { type: 'console', vm: 'A', text: '1 1 2 3 5 8 13 21 34 55 89 144 \n' } },
        { kind: 'no-event', event: { type: 'divergence' } },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Same end',
      text: "A printed its Fibonacci line at 41 ms and halted. B follows about 10 ms behind.\n\nNow both machines have stopped at icount 826, and their state hashes are identical. The Replay checker is green.",
      highlight: ['vm-primary', 'vm-backup', 'verdicts'],
      runMs: 15,
      expect: [
        { kind: 'event', event: { type: 'console', vm: 'B', text: '1 1 2 3 5 8 13 21 34 55 89 144 \n' } },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What breaks determinism',
      text: 'Real servers are not like `hello`. They read the time of day, take timer interrupts, receive packets and complete disk reads. None of that follows from the instructions. The host decides what happens and when.\n\nVMware FT handles this with deterministic replay. The primary records each such input in the log: an event (a timer interrupt, a packet, a completed disk read) with the exact icount where it happened, an operation (a clock read, a random number) with the result it got. The backup replays each at that icount. The next chapter shows how.',
      predict: {
        question: 'Which of these could make B differ from A if nobody tells B about it?',
        choices: ['An add instruction', 'A read of the clock', 'A jump back to the top of a loop'],
        answer: 1,
        explain: 'Adds and jumps depend only on the machine state, and that is the same on both VMs. A clock read returns whatever the host says, and B runs on another host at another moment.',
      },
      expect: [{ kind: 'verdict', which: 'replay', ok: true }],
    },
  ],
};
