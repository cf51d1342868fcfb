// The guided tour: ten chapters, each a scenario and the steps that narrate it. Plain data; the
// ChapterPlayer plays them, and chapters.test.ts plays every one through and checks what each
// step says the learner will see. The numbers in the narration (icounts, times, who wins
// test-and-set) come from these scenarios and seeds: the simulator is deterministic, so they
// are the same on every run, and the tests fail if an engine change makes a step's claim false.

import type { Chapter } from './types';

// ------------------------------------------------------------------ 1. determinism

const determinism: Chapter = {
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
        { kind: 'event', type: 'console', vm: 'A', text: 'Hello from the tiny machine!' },
        { kind: 'no-event', type: 'console', vm: 'B' },
      ],
    },
    {
      title: 'The backup trails the primary',
      text: "A printed its greeting at 7 ms. B has printed nothing yet.\n\nB never runs past the last icount A has told it about, which is called the horizon. A tells B only when it sends something on the logging channel. Here that means a state hash every 10 ms. So B trails A by up to 10 ms.\n\nWatch B's console.",
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
      text: "B printed the same line at 16 ms. It is grey because the hypervisor drops every output the backup makes. Only the primary talks to the outside world. B computes the same things and shows them to no one.\n\nEvery 10 ms A puts its state hash, a digest of its registers and memory, into a log entry tagged with its icount. When B reaches that icount, it hashes its own state and compares.",
      highlight: ['log-buffer', 'channel-view', 'verdicts'],
      predict: {
        question: 'A logs its state hash at icounts 200, 400, 600 and 800. What will B find at each?',
        choices: ['The same hash every time', 'Slightly different hashes, because B runs later', 'Different hashes, because B runs on another host'],
        answer: 0,
        explain: "The hash covers the machine's state, not the wall clock or the host. At icount 400 both machines have executed the same 400 instructions on the same data.",
      },
      runMs: 35,
      expect: [
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"kind":"hash"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"hash","icount":800,"atIcount":800' },
        { kind: 'event', type: 'console', vm: 'A', text: '89 144' },
        { kind: 'no-event', type: 'divergence' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Same end',
      text: "A printed its Fibonacci line at 41 ms and halted. B follows about 10 ms behind.\n\nNow both machines have stopped at icount 826, and their state hashes are identical. The Replay checker is green.",
      highlight: ['vm-primary', 'vm-backup', 'verdicts'],
      runMs: 15,
      expect: [
        { kind: 'event', type: 'console', vm: 'B', text: '1 1 2 3 5 8 13 21 34 55 89 144' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What breaks determinism',
      text: 'Real servers are not like `hello`. They read the time of day, take timer interrupts, receive packets and complete disk reads. None of that follows from the instructions. The host decides what happens and when.\n\nVMware FT handles this with deterministic replay. The primary records each such event in the log, with the exact icount where it happened, and the backup replays it at that icount. The next chapter shows how.',
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

// ------------------------------------------------------------------ 2. replay

const replay: Chapter = {
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
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"icount":8,"kind":"timer"' },
        { kind: 'event', type: 'input/delivered', vm: 'A', text: '"icount":8' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"timer","icount":8,"atIcount":8' },
      ],
    },
    {
      title: 'The backup waits for the log',
      text: 'Between ticks B has nothing to do, and it may not guess. It runs only up to the next log entry or the horizon A sent, then waits. The VM panel shows this stall as `log-empty`.\n\nEach replayed entry shows two numbers: the icount where A logged it and the icount where B consumed it. They are always equal.',
      highlight: ['vm-backup', 'feed'],
      runMs: 30,
      pace: 8,
      expect: [
        { kind: 'event', type: 'vm/stall', vm: 'B', text: 'log-empty' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"timer","icount":65,"atIcount":65' },
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
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"icount":99,"kind":"nondet"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"nondet","icount":100,"atIcount":100' },
        { kind: 'event', type: 'console', vm: 'A', text: 'tick 5 clock=1700000894 random=0x6537b6e6' },
        { kind: 'event', type: 'console', vm: 'B', text: 'tick 5 clock=1700000894 random=0x6537b6e6' },
      ],
    },
    {
      title: 'Checking the lockstep',
      text: 'A also logs its state hash every 10 ms. B compares its own hash at the same icount. A mismatch would be a divergence: B would no longer be a copy of A.\n\nRun on to tick 10. The Replay checker stays green because every hash matched.',
      highlight: ['verdicts', 'timeline'],
      runMs: 55,
      pace: 15,
      expect: [
        { kind: 'event', type: 'console', vm: 'B', text: 'tick 10 clock=1700000944' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"hash","icount":637,"atIcount":637' },
        { kind: 'no-event', type: 'divergence' },
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

// ------------------------------------------------------------------ 3. divergence

const divergence: Chapter = {
  id: 'divergence',
  title: 'Why divergence is a disaster',
  summary: "The GFS master's lease from the lecture notes. With timer interrupts left out of the log, the backup expires a lease the primary renewed. After failover two clients hold the same lease.",
  scenario: {
    name: 'tour: divergence (scenarios/lease-timer-unlogged.json)',
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
    {
      title: 'A lease server, with the timer unlogged',
      text: "`lease-server` plays the GFS master. `LEASE chunk42` grants the lease if it is free, or renews it for its holder. The lease lasts 5 timer ticks, between 40 and 50 ms. Clients trust a grant for 35 ms.\n\nThis scenario turns on a teaching switch: timer interrupts are not logged (see Switches). B takes ticks from its own 10 ms timer, as a naive replicator would. Everything else is logged as usual.\n\nClient 1 asks for the lease at 5 ms.",
      highlight: ['switches', 'client', 'console'],
      predict: {
        question: 'B ticks every 10 ms, just like A. What will go wrong?',
        choices: ['Nothing, because the two timers agree', "B's ticks land at other icounts than A's, so its state can drift away from A's", 'B refuses to run without logged ticks'],
        answer: 1,
        explain: 'B runs a little behind A, but its timer fires on its own host\'s clock. So each of B\'s ticks lands at a different point in the instruction stream than A\'s did.',
      },
      runMs: 7,
      expect: [
        { kind: 'event', type: 'console', vm: 'A', text: 'c1#1 LEASE chunk42 -> GRANTED chunk42' },
        { kind: 'event', type: 'console', vm: 'B', text: 'c1#1 LEASE chunk42 -> GRANTED chunk42' },
        { kind: 'event', type: 'client/reply', text: '"text":"GRANTED chunk42","from":"A"' },
      ],
    },
    {
      title: 'The first tick lands elsewhere',
      text: "At 10 ms A takes its tick at icount 1055, just after sending client 1's reply (the output entry at icount 1038).\n\nB's own timer fires when B has reached only icount 1038. So B runs the tick handler before it sends its reply, and the reply comes out at icount 1047. That does not match the log's output entry at 1038.\n\nThis simulator checks every output and state hash against the log, so the Replay checker turns red at once. Without such a check nothing would show the divergence until a failover.",
      highlight: ['vm-backup', 'verdicts', 'feed'],
      runMs: 5,
      expect: [
        { kind: 'event', type: 'divergence', vm: 'B', text: 'net output at icount 1047' },
        { kind: 'verdict', which: 'replay', ok: false },
      ],
    },
    {
      title: 'The backup falls behind',
      text: 'At 20 ms the logging channel slows down to 3 ms of latency. B now replays about 3 ms behind A, but its timer still fires on time on host B.\n\nA granted the lease at 5.6 ms, so on A it would expire at the 5th tick after that, at 50 ms.',
      highlight: ['channel-view', 'vm-backup'],
      runMs: 36,
      pace: 10,
      expect: [{ kind: 'event', type: 'fault', text: 'slow-channel' }],
    },
    {
      title: 'Two answers to one request',
      text: 'At 49.0 ms client 2 asks for chunk42, and at 49.2 ms client 1 renews it. Both requests reach A just before A\'s 5th tick.',
      highlight: ['console', 'vm-primary', 'vm-backup'],
      predict: {
        question: "A denies client 2 and renews client 1's lease. B is 3 ms behind, and its own 5th tick fires before it replays the two requests. What does B answer client 2?",
        choices: ['DENIED, the same as A', 'GRANTED: for B the lease has already expired', 'Nothing, because B answers no one'],
        answer: 1,
        explain: "B's tick expired client 1's lease (`lease chunk42 expired (was c1)`), and then client 2's request found it free. B's reply is suppressed, so no one sees it yet. But B now believes client 2 holds the lease.",
      },
      runMs: 9,
      expect: [
        { kind: 'event', type: 'console', vm: 'A', text: 'c2#1 LEASE chunk42 -> DENIED chunk42 held by c1' },
        { kind: 'event', type: 'console', vm: 'B', text: 'lease chunk42 expired (was c1)' },
        { kind: 'event', type: 'console', vm: 'B', text: 'c2#1 LEASE chunk42 -> GRANTED chunk42' },
        { kind: 'event', type: 'client/reply', text: '"text":"GRANTED chunk42","from":"A"' },
      ],
    },
    {
      title: 'The primary dies',
      text: 'At 58 ms A crashes. In this scenario the failure timeout is 10 ms. B hears nothing from A, wins test-and-set and goes live.\n\nThe new primary is a copy of A that has drifted. In its memory, chunk42 belongs to client 2.',
      highlight: ['vm-B', 'feed'],
      until: { type: 'vm/went-live', vm: 'B' },
      runMs: 30,
      expect: [
        { kind: 'event', type: 'fault', text: 'kill-primary' },
        { kind: 'event', type: 'vm/went-live', vm: 'B' },
        { kind: 'role', vm: 'B', role: 'live' },
      ],
    },
    {
      title: 'Two holders of one lease',
      text: 'At 76 ms client 2 asks for chunk42 again.',
      highlight: ['client', 'verdicts'],
      predict: {
        question: 'What does B, now live, answer client 2?',
        choices: ['DENIED: client 1 holds it', 'GRANTED: as far as B knows, client 2 already holds it', 'An error'],
        answer: 1,
        explain: 'B renews the lease for client 2. But A renewed it for client 1 at 49.8 ms, and client 1 trusts that grant until 84 ms. Two chunkservers now hold the same lease. The Output Requirement checker names the overlap. This is why the backup must see the same events, in the same order, at the same points in the instruction stream.',
      },
      runMs: 10,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"text":"GRANTED chunk42","from":"B"' },
        { kind: 'verdict', which: 'outputRequirement', ok: false },
        { kind: 'verdict', which: 'replay', ok: false },
      ],
    },
  ],
};

// ------------------------------------------------------------------ 4. the Output Rule

const outputRule: Chapter = {
  id: 'output-rule',
  title: 'The Output Rule',
  summary: 'With the Output Rule off, the primary answers INCR = 11 and dies before its log entries reach the backup. The new primary, still at 10, answers 11 again.',
  scenario: {
    name: 'tour: output rule off (scenarios/output-rule-off.json)',
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
    {
      title: 'No Output Rule, and a slow channel',
      text: "The Output Rule says the primary may not send an output until the backup has acknowledged the log entry for it. Only the output waits. The primary keeps running.\n\nThis chapter turns the rule off (see Switches). It also slows the logging channel to 0.1 Mbit/s, so log entries take milliseconds to reach B.\n\nAt 20 ms client 1 sends `PUT counter 10`.",
      highlight: ['switches', 'held-outputs', 'channel-view'],
      predict: {
        question: "Without the rule, when does A's reply `OK` leave?",
        choices: ['As soon as A computes it', 'After B acknowledges its log entry', 'After B has replayed the PUT'],
        answer: 0,
        explain: 'A sends the reply at 22.1 ms with an output delay of 0. At that moment B has acknowledged only entry #4 of the 10 A has logged. Nothing waits in Held outputs.',
      },
      until: { type: 'client/reply' },
      runMs: 30,
      pace: 10,
      expect: [
        { kind: 'event', type: 'output/released', vm: 'A', text: '"seq":10,"output":"net","to":"client-1","role":"primary","delayMs":0,"ackedSeq":4' },
        { kind: 'event', type: 'client/reply', text: '"text":"OK","from":"A"' },
        { kind: 'no-event', type: 'output/held' },
      ],
    },
    {
      title: 'The counter reaches 11',
      text: 'B reaches its own copy of the reply at 30 ms, 7 ms after the client got its OK.\n\nAt 100 ms client 1 sends `INCR counter`. A logs the request packet (entry #27), writes its disk log and replies `VALUE 11` to client 1 at once. The four new entries are still creeping down the slow channel.',
      highlight: ['client', 'log-buffer', 'channel-view'],
      runMs: 80,
      expect: [
        { kind: 'event', type: 'output/suppressed', vm: 'B', text: '"seq":10' },
        { kind: 'event', type: 'client/reply', text: '"text":"VALUE 11","from":"A"' },
      ],
    },
    {
      title: 'The primary dies',
      text: 'At 104 ms A crashes. The entries for the INCR die with it. B had received only up to entry #26.\n\nAfter 66 ms of silence B suspects A, wins test-and-set and goes live.',
      highlight: ['vm-B', 'feed'],
      predict: {
        question: 'What value of counter does B have when it goes live?',
        choices: ['11, the value client 1 was told', '10: B never saw the INCR', '0: B starts over'],
        answer: 1,
        explain: 'B replays every entry it acknowledged, and the INCR was not among them. Its counter is 10, but client 1 has already been told 11.',
      },
      until: { type: 'vm/went-live', vm: 'B' },
      runMs: 80,
      expect: [
        { kind: 'event', type: 'fault', text: 'kill-primary' },
        { kind: 'event', type: 'vm/went-live', vm: 'B', text: '"receivedSeq":26,"consumedSeq":26' },
        { kind: 'role', vm: 'B', role: 'live' },
      ],
    },
    {
      title: 'Eleven, twice',
      text: 'At 180 ms client 2 sends `INCR counter` to the new primary.',
      highlight: ['client', 'verdicts'],
      predict: {
        question: 'What does client 2 get?',
        choices: ['VALUE 12', 'VALUE 11', 'An error'],
        answer: 1,
        explain: 'B increments 10 and answers 11, the same value client 1 got for its own INCR. No sequential order of the three operations gives both clients 11. The Output Requirement checker turns red: the new primary contradicts an output the old one sent.',
      },
      runMs: 20,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"text":"VALUE 11","from":"B"' },
        { kind: 'verdict', which: 'outputRequirement', ok: false },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What the rule would have changed',
      text: "This run had the rule off, and the Output Requirement check fails on it (see Checkers).\n\nWith the rule on, A's outputs would have waited in Held outputs until B acknowledged them: 6 to 8 ms over this slow channel. A died at 104 ms, before B acknowledged the INCR, so nothing about it would have left A. Not even the disk write.\n\nClient 1 would have got no reply and timed out, which is allowed: the request may or may not have happened. Client 2 would then get 11, and that is consistent.\n\nThe price is latency: every output waits one round trip on the logging channel. To watch it, leave the tour and send the same requests with the Output Rule switch on.",
      highlight: ['held-outputs', 'verdicts'],
      predict: {
        question: 'With the Output Rule on, what does client 1 see for its INCR?',
        choices: ['VALUE 11, as before', 'No reply: it times out, and that is consistent with either outcome', 'VALUE 12'],
        answer: 1,
        explain: "The rule holds an output until the backup has what it needs to reproduce it. Every reply a client has seen is one the backup can repeat after a failover. The rule gives no exactly-once guarantee: a request can be lost, and a client's timeout covers that.",
      },
      expect: [{ kind: 'verdict', which: 'outputRequirement', ok: false }],
    },
  ],
};

// ------------------------------------------------------------------ 5. failover

const failover: Chapter = {
  id: 'failover',
  title: 'Failover',
  summary: 'Kill the primary. The backup hears silence, wins test-and-set, replays what it acknowledged, goes live, advertises the MAC and re-issues the disk write that was in flight.',
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
      text: "Two clients use `kv-server` on the primary, A. Each reply waits in A's Held outputs until B acknowledges the log entry for it. That takes one round trip on the logging channel, about 0.1 ms. B computes the same reply a few milliseconds later and the hypervisor suppresses it.",
      highlight: ['client', 'held-outputs', 'vm-backup'],
      runMs: 50,
      expect: [
        { kind: 'event', type: 'output/held', vm: 'A' },
        { kind: 'event', type: 'entry/acked', vm: 'A' },
        { kind: 'event', type: 'output/released', vm: 'A', text: '"role":"primary"' },
        { kind: 'event', type: 'output/suppressed', vm: 'B' },
        { kind: 'event', type: 'client/reply', text: '"from":"A"' },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
      ],
    },
    {
      title: 'A write in flight',
      text: "`kv-server` appends every change to its disk log before it replies. At 68.9 ms client 2 sends `INCR k2`. A's disk write is an output, so it waits for B's acknowledgement, then goes to shared storage.\n\nWe stop at 70.3 ms, when storage has just written block 0. Its completion is on its way back to A.",
      highlight: ['held-outputs', 'feed'],
      until: { type: 'storage/disk' },
      runMs: 40,
      expect: [
        { kind: 'event', type: 'output/released', vm: 'A', text: '"output":"disk-write"' },
        { kind: 'event', type: 'storage/disk', text: '"op":"write","block":0,"from":"A"' },
        { kind: 'no-event', type: 'fault' },
      ],
    },
    {
      title: 'Kill the primary',
      text: "Crash A now. It is fail-stop: no goodbye, no more log entries, no more heartbeats.",
      highlight: ['faults', 'vm-B', 'timeline'],
      predict: {
        question: 'When will B take over?',
        choices: ['At once, because it sees A die', 'After 60 to 70 ms of silence on the logging channel', 'Never, because an operator has to do it'],
        answer: 1,
        explain: "B cannot see A die. It only stops hearing from A. B checks at every 10 ms heartbeat, and it suspects A once the channel has been silent for the 60 ms failure timeout. Here that happens at 140 ms, after 70 ms of silence. A request from client 1 at 84 ms went to A's MAC address and was lost.",
      },
      ask: { prompt: 'Click Kill primary now', action: { kind: 'kill-primary' } },
      until: { type: 'failure/suspected', vm: 'B' },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'fault', text: 'killed A' },
        { kind: 'role', vm: 'A', role: 'dead' },
        { kind: 'event', type: 'failure/suspected', vm: 'B' },
        { kind: 'no-event', type: 'vm/went-live' },
      ],
    },
    {
      title: 'Test-and-set',
      text: 'A crash and a cut network look the same from B. Before going live, B runs an atomic test-and-set on shared storage: it goes live only if no one else has.\n\nThis step runs slowly, 1 ms per second. Watch the request go out and the answer come back.',
      highlight: ['feed', 'timeline'],
      until: { type: 'vm/went-live', vm: 'B' },
      runMs: 20,
      pace: 1,
      expect: [
        { kind: 'event', type: 'tas/requested', vm: 'B' },
        { kind: 'event', type: 'storage/tas', text: '"holder":"B"' },
        { kind: 'event', type: 'tas/won', vm: 'B' },
        { kind: 'event', type: 'vm/went-live', vm: 'B', text: '"receivedSeq":26,"consumedSeq":26' },
        { kind: 'role', vm: 'B', role: 'live' },
      ],
    },
    {
      title: 'Go-live',
      text: "B won. First it drains the log: it replays every entry it acknowledged. All 26 were already replayed, because B kept replaying while it waited out the silence. B went live at icount 4285, the point where A died.\n\nThen, in the same instant, B advertises the service MAC address so the switch sends client traffic to it, and it re-issues the disk write that had no completion in the log.",
      highlight: ['vm-B', 'feed', 'client'],
      predict: {
        question: "Storage already wrote block 0 for A, and B writes it again. Is that a problem?",
        choices: ['Yes, the record is now in the log twice', 'No: the same bytes go to the same block, so the write is idempotent', 'Yes, client 2 gets two replies'],
        answer: 1,
        explain: 'B cannot know whether A\'s write reached the disk, so it does it again. FT gives no exactly-once guarantee. It relies on re-doing things being harmless. Client 2 gets exactly one reply, VALUE 1, from B. A never sent one because it died before the write completed.',
      },
      runMs: 10,
      pace: 5,
      expect: [
        { kind: 'event', type: 'mac/advertised', vm: 'B' },
        { kind: 'event', type: 'io/reissued', vm: 'B', text: '"op":"write","block":0' },
        { kind: 'event', type: 'storage/disk', text: '"op":"write","block":0,"from":"B"' },
        { kind: 'event', type: 'client/reply', text: '"text":"VALUE 1","from":"B"' },
        { kind: 'event', type: 'output/released', vm: 'B', text: '"role":"live"' },
      ],
    },
    {
      title: 'Service again',
      text: "B serves alone now, as a live VM. Its outputs leave at once, because there is no backup to wait for.\n\nClient 1's request from 84 ms never reached anyone, so it times out at 184 ms. The checker counts it as an operation that may or may not have happened. All three checkers stay green.",
      highlight: ['client', 'verdicts'],
      runMs: 150,
      pace: 30,
      expect: [
        { kind: 'event', type: 'client/timeout', text: '"client":1' },
        { kind: 'event', type: 'client/reply', text: '"from":"B"' },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
  ],
};

// ------------------------------------------------------------------ 6. split brain

const splitBrain: Chapter = {
  id: 'split-brain',
  title: 'Split brain',
  summary: 'Cut the logging channel: both VMs suspect each other, test-and-set picks one, and the other halts. Then a primary that sleeps through its own failover wakes up, looks, and halts.',
  scenario: {
    name: 'tour: split brain',
    program: 'kv-server',
    seed: 1,
    durationMs: 800,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    {
      title: 'A working pair',
      text: 'A is the primary and B the backup, with two clients. The logging channel carries log entries from A to B, and acknowledgements and heartbeats back.',
      highlight: ['vm-primary', 'vm-backup', 'channel-view'],
      runMs: 40,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"from":"A"' },
        { kind: 'role', vm: 'A', role: 'primary' },
      ],
    },
    {
      title: 'Cut the channel',
      text: 'Now cut the logging channel in both directions. Both VMs are still alive and can still reach shared storage. Each one hears only silence from the other.',
      highlight: ['faults', 'channel-view'],
      predict: {
        question: 'What happens?',
        choices: ['Both go live, and there are two primaries', 'Both ask shared storage for test-and-set: one wins, the other halts', 'Both wait for the channel to heal'],
        answer: 1,
        explain: 'From each side, a partition looks exactly like a crash. Going live on a timeout alone would give two primaries. So both ask the one thing they share, the storage, to choose.',
      },
      ask: { prompt: 'Click Cut channel now', action: { kind: 'cut-channel', direction: 'both' } },
      until: { type: 'failure/suspected' },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'fault', text: 'cut the logging channel both ways' },
        { kind: 'event', type: 'failure/suspected', vm: 'A' },
        { kind: 'event', type: 'failure/suspected', vm: 'B' },
        { kind: 'event', type: 'output/held', vm: 'A', text: '"seq":18,"output":"net","to":"client-2"' },
        { kind: 'event', type: 'output/held', vm: 'A', text: '"seq":20,"output":"net","to":"client-1"' },
        { kind: 'no-event', type: 'vm/went-live' },
      ],
    },
    {
      title: 'Test-and-set picks one',
      text: "Both suspected the other at 100 ms and sent test-and-set to storage at the same moment. Storage serves one request at a time. This step runs at 1 ms per second.\n\nDuring the 60 ms of silence A kept running and computed replies for both clients. Those replies wait in Held outputs for acknowledgements that will never come.",
      highlight: ['feed', 'held-outputs'],
      until: { type: 'tas/lost' },
      runMs: 20,
      pace: 1,
      expect: [
        { kind: 'event', type: 'tas/won', vm: 'B' },
        { kind: 'event', type: 'vm/went-live', vm: 'B' },
        { kind: 'event', type: 'tas/lost', vm: 'A', text: '"holder":"B"' },
        { kind: 'role', vm: 'A', role: 'halted' },
        { kind: 'role', vm: 'B', role: 'live' },
      ],
    },
    {
      title: 'One primary',
      text: "B's request reached storage first, so B went live at 100.9 ms. A lost at 101.4 ms and halted. Its held replies never leave.\n\nThe two clients wait for replies that will never come, and they time out at 152 and 158 ms. That is allowed. Two different answers from two primaries would not be. The Split brain checker is green.",
      highlight: ['client', 'verdicts'],
      runMs: 60,
      expect: [
        { kind: 'event', type: 'client/timeout', text: '"client":2' },
        { kind: 'no-event', type: 'output/released', vm: 'B' },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
      ],
    },
    {
      title: 'A new pair',
      text: 'For the second danger we need a pair again. The narrator starts a new backup, C, from a snapshot of B (chapter 9 shows how). B is the primary again, and C replays its log.',
      highlight: ['vm-B', 'vm-C'],
      do: [{ kind: 'restart-backup' }],
      runMs: 30,
      expect: [
        { kind: 'event', type: 'snapshot/sent', vm: 'B', text: '"to":"C"' },
        { kind: 'role', vm: 'B', role: 'primary' },
        { kind: 'role', vm: 'C', role: 'backup' },
        { kind: 'event', type: 'output/released', vm: 'B', text: '"role":"primary"' },
      ],
    },
    {
      title: 'The primary falls asleep',
      text: "The narrator now pauses B for 100 ms, as a stuck host or a long pause of the hypervisor would. A paused VM runs nothing and drops whatever reaches it. To C it looks dead.",
      highlight: ['vm-B', 'vm-C'],
      predict: {
        question: 'C goes live after about 60 ms. What must B do when it wakes up 40 ms later, still believing it is the primary?',
        choices: ['Carry on serving, because it never noticed anything', 'Check the channel, find it silent, ask for test-and-set, lose and halt', 'Send its held outputs, then halt'],
        answer: 1,
        explain: 'A VM that slept must look before it acts. B finds 100 ms of silence, suspects C, and asks storage. C holds the test-and-set, so B halts without sending anything.',
      },
      do: [{ kind: 'pause', vm: 'primary', forMs: 100 }],
      until: { type: 'vm/went-live', vm: 'C' },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'vm/stall', vm: 'B', text: 'paused' },
        { kind: 'event', type: 'failure/suspected', vm: 'C' },
        { kind: 'event', type: 'tas/won', vm: 'C' },
        { kind: 'role', vm: 'C', role: 'live' },
        { kind: 'role', vm: 'B', role: 'primary' },
      ],
    },
    {
      title: 'The sleeper wakes',
      text: "C went live at 252.4 ms. B sleeps until 291.4 ms. Awake, it cannot trust the silence it slept through (its NIC dropped everything), so it listens for one failure timeout before it suspects anyone.",
      highlight: ['vm-B', 'feed'],
      until: { type: 'tas/lost', vm: 'B' },
      runMs: 160,
      expect: [
        { kind: 'event', type: 'failure/suspected', vm: 'B', text: '"peer":"C"' },
        { kind: 'event', type: 'tas/lost', vm: 'B', text: '"holder":"C"' },
        { kind: 'role', vm: 'B', role: 'halted' },
        { kind: 'verdict', which: 'splitBrain', ok: true },
      ],
    },
    {
      title: 'Still one primary',
      text: 'B suspected C at 360 ms, lost test-and-set and halted at 360.9 ms without releasing a single output after it woke. C serves the clients alone. The Split brain checker is green: only the VM that won test-and-set has acted alone.',
      highlight: ['client', 'verdicts'],
      runMs: 50,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"from":"C"' },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
      ],
    },
  ],
};

// ------------------------------------------------------------------ 7. the logging channel

const channel: Chapter = {
  id: 'channel',
  title: 'Managing the logging channel',
  summary: 'A slow backup falls behind. The lag feedback loop trims the primary\'s CPU, and when the buffers fill anyway, the primary stalls until the backup catches up.',
  scenario: {
    name: 'tour: logging channel',
    program: 'primes',
    seed: 1,
    durationMs: 600,
    // Tiny buffers (the paper's are "large"), so they fill within a watchable time.
    ft: { primaryLogCapacity: 6, backupLogCapacity: 6 },
  },
  pace: 20,
  steps: [
    {
      title: 'Two buffers and a channel',
      text: "`primes` searches for primes and never idles, like the paper's SPECjbb. It logs a timer tick and a state hash every 10 ms.\n\nA buffers entries and flushes them on the logging channel. B buffers them, acknowledges each batch on receipt, and replays. Each buffer here holds only 6 entries. B's acknowledgements carry its icount, so A knows the execution lag. It is 9.5 ms, because B may run only as far as the horizon A last sent.",
      highlight: ['log-buffer', 'channel-stats', 'metrics'],
      runMs: 30,
      expect: [
        { kind: 'event', type: 'entry/flushed', vm: 'A' },
        { kind: 'event', type: 'entry/received', vm: 'B' },
        { kind: 'event', type: 'entry/acked', vm: 'A', text: '"lagMs":9.5' },
        { kind: 'no-event', type: 'vm/throttle' },
        { kind: 'no-event', type: 'vm/stall', vm: 'A' },
      ],
    },
    {
      title: 'The backup slows down',
      text: "B's host is now overloaded. B runs at half A's speed.",
      highlight: ['metrics', 'vm-backup'],
      predict: {
        question: 'A keeps computing at full speed. What happens to the lag?',
        choices: ['It stays around 10 ms', 'It grows by about 5 ms every 10 ms', 'B skips entries to keep up'],
        answer: 1,
        explain: 'B needs 20 ms to replay each 10 ms of A\'s work, and it may skip nothing. Once the lag passes the 20 ms limit, A asks for less CPU for itself: 5% less per heartbeat.',
      },
      do: [{ kind: 'slow-backup', speed: 0.5 }],
      until: { type: 'vm/throttle', vm: 'A' },
      runMs: 60,
      expect: [
        { kind: 'event', type: 'fault', text: 'slow-backup' },
        { kind: 'event', type: 'entry/acked', vm: 'A', text: '"lagMs":19.25' },
        { kind: 'event', type: 'vm/throttle', vm: 'A', text: '"cpu":0.95' },
      ],
    },
    {
      title: 'The buffers fill',
      text: "The feedback loop is slow on purpose. It keeps cutting A's CPU share, but the lag keeps growing for a while, past 40 ms.\n\nMeanwhile B's 6-entry buffer is full of entries it has not reached yet. A may send only as many entries as B has free space for, so entries pile up in A's buffer too.",
      highlight: ['log-buffer', 'metrics'],
      until: { type: 'vm/stall', vm: 'A' },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'vm/stall', vm: 'A', text: 'log-full' },
        { kind: 'event', type: 'vm/throttle', vm: 'A', text: '"cpu":0.7' },
      ],
    },
    {
      title: 'A full buffer stalls the primary',
      text: "A's buffer is full, and A stops. This is natural flow control: A cannot get further ahead than its buffers allow.",
      highlight: ['vm-primary', 'log-buffer'],
      predict: {
        question: 'What would clients of a stalled primary see?',
        choices: ['Slightly slower replies', 'An unresponsive server: no instruction runs, so no reply is computed', 'Nothing at all: outputs still flow'],
        answer: 1,
        explain: 'A stalled primary executes nothing. The paper calls this natural flow control but wants it rare, because clients see an unresponsive VM. Here A stalls at 120 ms and, apart from a moment at 124 ms, stays stalled until 209 ms, when B has caught up to a lag of 0.2 ms.',
      },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'vm/stall', vm: 'A', text: '"reason":null' },
        { kind: 'event', type: 'entry/acked', vm: 'A', text: '"lagMs":0.225' },
        { kind: 'role', vm: 'A', role: 'primary' },
      ],
    },
    {
      title: 'The feedback loop',
      text: "With the lag under 10 ms, half the limit, A gets its CPU back 5% at a time. The lag creeps up again, and past 20 ms the loop trims A again. Over time it settles near the speed B can replay.\n\nThe paper sees this only under extreme stress. Go-live time is roughly the failure timeout plus the lag, so a backup must not fall far behind.",
      highlight: ['metrics', 'timeline'],
      runMs: 200,
      pace: 40,
      expect: [
        { kind: 'event', type: 'vm/throttle', vm: 'A', text: '"cpu":0.6' },
        { kind: 'role', vm: 'A', role: 'primary' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
  ],
};

// ------------------------------------------------------------------ 8. power off

const powerOff: Chapter = {
  id: 'power-off',
  title: 'Power off versus crash',
  summary: 'Powering off the primary is announced in the log, so the backup halts where the primary stopped instead of going live.',
  scenario: {
    name: 'tour: power off',
    program: 'kv-server',
    seed: 1,
    durationMs: 600,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    {
      title: 'A pair at work',
      text: 'A serves two clients, and B replays its log. From B, a crashed primary and a silent one look the same. So how does an administrator shut an FT VM down?',
      highlight: ['vm-primary', 'vm-backup'],
      runMs: 45,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"from":"A"' },
        { kind: 'role', vm: 'B', role: 'backup' },
      ],
    },
    {
      title: 'Power off the primary',
      text: "Powering off is a control operation. A stops its guest, appends a control log entry at its current icount and flushes it; it halts once B has acknowledged the entry. FT sends power-off and changes of CPU share over the logging channel this way.\n\nLockstep adds one safeguard the paper does not describe: at the same moment A takes test-and-set on shared storage, so that a backup that never gets the entry (a cut channel) cannot go live either.",
      highlight: ['faults', 'log-buffer', 'vm-A', 'vm-B'],
      predict: {
        question: 'A is off. What does B do?',
        choices: ['Waits out the failure timeout, wins test-and-set and goes live', 'Replays up to the control entry and halts there', 'Keeps running as a backup forever'],
        answer: 1,
        explain: "B replays to icount 2006, finds the control entry and halts at the same instruction as A. It does not wait for a timeout and never asks for test-and-set. The VM is off, which is what the administrator asked for.",
      },
      ask: { prompt: 'Click Power off primary', action: { kind: 'power-off-primary' } },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"kind":"control"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"control","icount":2006,"atIcount":2006' },
        { kind: 'role', vm: 'A', role: 'halted' },
        { kind: 'role', vm: 'B', role: 'halted' },
        { kind: 'no-event', type: 'failure/suspected', vm: 'B' },
        { kind: 'no-event', type: 'tas/requested', vm: 'B' },
        { kind: 'no-event', type: 'vm/went-live' },
      ],
    },
    {
      title: 'Nobody answers',
      text: 'The clients sent requests at 52 and 58 ms to a VM that was off, and they time out. That is what an administrator expects from powering off a VM.',
      highlight: ['client'],
      runMs: 20,
      expect: [
        { kind: 'event', type: 'client/timeout', text: '"client":1' },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
      ],
    },
    {
      title: 'Crash versus power off',
      text: 'A crash sends nothing. The backup notices only the silence, and after the failure timeout it takes over (chapter 5). A power-off sends a control entry in the log. The backup sees it at an exact icount and stops there too.',
      predict: {
        question: 'Suppose A had crashed at 45 ms instead. What would B have done?',
        choices: ['Halted at icount 2006', 'Suspected A about 60 ms later, won test-and-set and gone live', 'Kept waiting for a control entry'],
        answer: 1,
        explain: "Without the control entry, B cannot tell an intended stop from a failure. Only the log can carry the administrator's intent to the backup.",
      },
      expect: [
        { kind: 'role', vm: 'B', role: 'halted' },
        { kind: 'no-event', type: 'vm/went-live' },
      ],
    },
  ],
};

// ------------------------------------------------------------------ 9. restoring redundancy

const redundancy: Chapter = {
  id: 'redundancy',
  title: 'Restoring redundancy',
  summary: 'After a failover the survivor runs alone. A new backup starts from a snapshot of its machine, and when the survivor dies in turn, the new backup takes over.',
  scenario: {
    name: 'tour: redundancy',
    program: 'kv-server',
    seed: 1,
    durationMs: 800,
    clients: { count: 2, keys: 3, thinkMs: 15, timeoutMs: 100 },
  },
  pace: 20,
  steps: [
    {
      title: 'A pair',
      text: 'A is the primary and B the backup, serving two clients.',
      highlight: ['vm-primary', 'vm-backup'],
      runMs: 40,
      expect: [{ kind: 'event', type: 'client/reply', text: '"from":"A"' }],
    },
    {
      title: 'A failover',
      text: 'The narrator kills A. As in chapter 5, B waits out the silence, wins test-and-set, goes live at 100.9 ms and advertises the service MAC address.',
      highlight: ['vm-B', 'feed'],
      do: [{ kind: 'kill-primary' }],
      runMs: 65,
      expect: [
        { kind: 'event', type: 'tas/won', vm: 'B' },
        { kind: 'event', type: 'vm/went-live', vm: 'B' },
        { kind: 'event', type: 'mac/advertised', vm: 'B' },
        { kind: 'role', vm: 'B', role: 'live' },
      ],
    },
    {
      title: 'Alone',
      text: "B is live: there is no backup, nothing is logged, and outputs leave at once. Client 9 sends `PUT x 1`.\n\nThe service works, but one more failure would take it down.",
      highlight: ['vm-B', 'held-outputs', 'client'],
      do: [{ kind: 'request', client: 9, text: 'PUT x 1' }],
      runMs: 20,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"client":9,"reqId":1,"text":"OK","from":"B"' },
        { kind: 'event', type: 'output/released', vm: 'B', text: '"role":"live","delayMs":0' },
        { kind: 'no-event', type: 'output/held', vm: 'B' },
      ],
    },
    {
      title: 'Restart the backup',
      text: "VMware FT restores redundancy with FT VMotion. Instead of moving the VM, it clones it. The live VM sends a snapshot of its running machine to a new VM on another host. Then it starts logging again from the next entry, and the new VM replays that log.\n\nThe disks live on shared storage, so nothing but the machine's memory and registers has to be copied. Right after the restart, client 9 sends `GET x`.",
      highlight: ['faults', 'vm-B', 'vm-C'],
      predict: {
        question: 'What must the new backup C receive before it can replay B\'s log?',
        choices: ["B's whole log since boot", "A snapshot of B's machine at one icount", 'A copy of the disk'],
        answer: 1,
        explain: "Replay needs the same starting state, not the history. C restores the snapshot taken at B's icount and replays B's log from there. Nothing on shared storage is cleared: B holds the test-and-set word, and the snapshot tells C which generation of the word the new pair B–C may claim. (The generation is Lockstep's stand-in for vSphere's file lock on shared storage: A, still stale, can never win it back.)",
      },
      ask: { prompt: 'Click Restart backup', action: { kind: 'restart-backup' } },
      do: [{ kind: 'request', client: 9, text: 'GET x' }],
      runMs: 40,
      expect: [
        { kind: 'event', type: 'snapshot/sent', vm: 'B', text: '"to":"C"' },
        { kind: 'role', vm: 'B', role: 'primary' },
        { kind: 'role', vm: 'C', role: 'backup' },
        { kind: 'event', type: 'entry/replayed', vm: 'C' },
        { kind: 'event', type: 'output/held', vm: 'B' },
        { kind: 'event', type: 'output/suppressed', vm: 'C' },
      ],
    },
    {
      title: 'The second failure',
      text: 'B is a primary again. Its outputs wait for C\'s acknowledgements, and C suppresses its own copies.',
      highlight: ['vm-C', 'feed'],
      predict: {
        question: 'The narrator now kills B. Who answers the clients afterwards?',
        choices: ['Nobody: both original VMs are gone', 'C, after the failure timeout and test-and-set', 'A, which restarts'],
        answer: 1,
        explain: 'C is a full backup. It has the same state as B up to the last entry it acknowledged. It wins test-and-set because it asks for the current generation of the word, the one B passed on with the snapshot, and it goes live.',
      },
      do: [{ kind: 'kill-primary' }],
      until: { type: 'vm/went-live', vm: 'C' },
      runMs: 100,
      expect: [
        { kind: 'event', type: 'failure/suspected', vm: 'C' },
        { kind: 'event', type: 'tas/won', vm: 'C' },
        { kind: 'role', vm: 'B', role: 'dead' },
        { kind: 'role', vm: 'C', role: 'live' },
      ],
    },
    {
      title: 'Third VM, same service',
      text: 'C serves the clients. Two machines have failed, and the service has stayed consistent: the checkers are green.',
      highlight: ['client', 'verdicts'],
      runMs: 80,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"from":"C"' },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
  ],
};

// ------------------------------------------------------------------ 10. disk I/O

const disk: Chapter = {
  id: 'disk',
  title: 'Disk I/O',
  summary: 'A disk read is an input: its data travels in the log. A disk write is an output: it waits for the backup\'s acknowledgement, and the backup never touches the disk.',
  scenario: {
    name: 'tour: disk',
    program: 'kv-server',
    seed: 1,
    durationMs: 400,
  },
  pace: 2,
  steps: [
    {
      title: 'Reads are inputs',
      text: "`kv-server` keeps a log on its virtual disk, which lives on shared storage. At boot it reads block 0 to recover.\n\nOnly the primary talks to the disk. For A the read is a request to storage, and the completion comes back as an interrupt.",
      highlight: ['vm-primary', 'vm-backup', 'feed'],
      predict: {
        question: 'B must recover from the same block. How does it get the contents?',
        choices: ['It reads the shared disk itself', "In A's log entry for the read's completion", 'It skips recovery'],
        answer: 1,
        explain: 'A logs the completion at its icount, with the 64 bytes it read. B delivers that entry at the same icount and copies the data in. B never sends a request to storage.',
      },
      runMs: 2,
      expect: [
        { kind: 'event', type: 'storage/disk', text: '"op":"read","block":0,"from":"A"' },
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"kind":"disk"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"disk","icount":19,"atIcount":19' },
        { kind: 'no-event', type: 'output/held' },
      ],
    },
    {
      title: 'Ready on both',
      text: 'Block 0 was empty, so both VMs recovered 0 records and are waiting for requests.',
      highlight: ['console'],
      runMs: 10,
      pace: 10,
      expect: [
        { kind: 'event', type: 'console', vm: 'A', text: 'kv-server: recovered 0 records' },
        { kind: 'event', type: 'console', vm: 'B', text: 'kv-server: recovered 0 records' },
      ],
    },
    {
      title: 'Writes are outputs',
      text: "Client 1 sends `PUT x 1`. Before it replies, `kv-server` appends the record to its disk log and waits for the write to complete.\n\nThis step runs at 1 ms per second.",
      highlight: ['held-outputs', 'feed', 'client'],
      predict: {
        question: 'The disk is shared, so it is part of the outside world. When may the write leave A?',
        choices: ['At once, because disks are not outputs', "After B acknowledges the write's log entry, like any output", 'After B has written the same block'],
        answer: 1,
        explain: "The write is held until B acknowledges it, about 0.1 ms, and then goes to storage. Its completion comes back as a logged disk entry. Only then is the reply `OK` produced, held and released.",
      },
      do: [{ kind: 'request', client: 1, text: 'PUT x 1' }],
      until: { type: 'client/reply' },
      runMs: 10,
      pace: 1,
      expect: [
        { kind: 'event', type: 'output/held', vm: 'A', text: '"output":"disk-write","to":"storage"' },
        { kind: 'event', type: 'output/released', vm: 'A', text: '"output":"disk-write"' },
        { kind: 'event', type: 'storage/disk', text: '"op":"write","block":0,"from":"A"' },
        { kind: 'event', type: 'entry/appended', vm: 'A', text: '"icount":927,"kind":"disk"' },
        { kind: 'event', type: 'output/held', vm: 'A', text: '"output":"net","to":"client-1"' },
        { kind: 'event', type: 'client/reply', text: '"text":"OK","from":"A"' },
      ],
    },
    {
      title: 'The backup writes nothing',
      text: "B executes the same write at the same icount. Its hypervisor checks it against A's output entry and drops it. B then takes the completion from the log.\n\nThe disk gets each write once, from the primary.",
      highlight: ['vm-backup', 'feed'],
      runMs: 8,
      expect: [
        { kind: 'event', type: 'output/suppressed', vm: 'B', text: '"output":"disk-write"' },
        { kind: 'event', type: 'entry/replayed', vm: 'B', text: '"kind":"disk","icount":927,"atIcount":927' },
        { kind: 'event', type: 'output/suppressed', vm: 'B', text: '"output":"net"' },
      ],
    },
    {
      title: 'A read from memory',
      text: 'Client 1 sends `GET x`. The value is in memory, so no disk I/O happens, and only the reply is an output.',
      highlight: ['client', 'held-outputs'],
      do: [{ kind: 'request', client: 1, text: 'GET x' }],
      until: { type: 'client/reply' },
      runMs: 10,
      expect: [
        { kind: 'event', type: 'client/reply', text: '"text":"VALUE 1","from":"A"' },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Disks in the paper',
      text: 'The paper adds a few details. Disk reads go into bounce buffers, so DMA never races the guest. I/Os that touch the same blocks are forced into the same order on both sides. At go-live, I/Os that were started but never completed are re-issued, as chapter 5 showed. That is safe because each names its blocks and memory explicitly.\n\nThere is an alternative design in which the backup does its own disk reads. It cuts log traffic, but it makes failures of those reads much harder to handle.',
      predict: {
        question: "With non-shared disks, each VM writes its own disk. Would disk writes still be outputs under the Output Rule?",
        choices: ['Yes, like every write', 'No: each disk is then internal state of its VM, so the rule does not apply to it', 'Only the backup\'s writes would be'],
        answer: 1,
        explain: "With its own disk, a VM's writes are part of its state, like its memory. The paper says they need not wait for the Output Rule. The price is that the disks must be synchronized first, and again after every failure.",
      },
      expect: [{ kind: 'role', vm: 'B', role: 'backup' }],
    },
  ],
};

export const CHAPTERS: readonly Chapter[] = [determinism, replay, divergence, outputRule, failover, splitBrain, channel, powerOff, redundancy, disk];

export function chapterById(id: string): Chapter | undefined {
  return CHAPTERS.find((c) => c.id === id);
}
