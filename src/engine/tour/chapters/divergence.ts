// Tour chapter 3. divergence (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 3. divergence

export const divergence: Chapter = {
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
        { kind: 'event', event: { type: 'console', vm: 'A', text: 'c1#1 LEASE chunk42 -> GRANTED chunk42\n' } },
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'c1#1 LEASE chunk42 -> GRANTED chunk42\n' } },
        { kind: 'event', event: { type: 'client/reply', text: 'GRANTED chunk42', from: 'A' } },
      ],
    },
    {
      title: 'The first tick lands elsewhere',
      text: "At 10 ms A takes its tick at icount 1055, just after sending client 1's reply (the output entry at icount 1038).\n\nB's own timer fires when B has reached only icount 1038. So B runs the tick handler before it sends its reply, and the reply comes out at icount 1047. That does not match the log's output entry at 1038.\n\nThis simulator checks every output and state hash against the log, so the Replay checker turns red at once. Without such a check nothing would show the divergence until a failover.",
      highlight: ['vm-backup', 'verdicts', 'feed'],
      runMs: 5,
      expect: [
        { kind: 'event', event: { type: 'divergence', vm: 'B', icount: 1047 } },
        { kind: 'verdict', which: 'replay', ok: false },
      ],
    },
    {
      title: 'The backup falls behind',
      text: 'At 20 ms the logging channel slows down to 3 ms of latency. B now replays about 3 ms behind A, but its timer still fires on time on host B.\n\nA granted the lease at 5.6 ms, so on A it would expire at the 5th tick after that, at 50 ms.',
      highlight: ['channel-view', 'vm-backup'],
      runMs: 36,
      pace: 10,
      expect: [{ kind: 'event', event: { type: 'fault', kind: 'slow-channel' } }],
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
        { kind: 'event', event: { type: 'console', vm: 'A', text: 'c2#1 LEASE chunk42 -> DENIED chunk42 held by c1\n' } },
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'lease chunk42 expired (was c1)\n' } },
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'c2#1 LEASE chunk42 -> GRANTED chunk42\n' } },
        { kind: 'event', event: { type: 'client/reply', text: 'GRANTED chunk42', from: 'A' } },
      ],
    },
    {
      title: 'The primary dies',
      text: 'At 58 ms A crashes. In this scenario the failure timeout is 10 ms. B hears nothing from A, wins test-and-set and goes live.\n\nThe new primary is a copy of A that has drifted. In its memory, chunk42 belongs to client 2.',
      highlight: ['vm-B', 'feed'],
      until: { type: 'vm/went-live', vm: 'B' },
      runMs: 30,
      expect: [
        { kind: 'event', event: { type: 'fault', kind: 'kill-primary' } },
        { kind: 'event', event: { type: 'vm/went-live', vm: 'B' } },
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
        { kind: 'event', event: { type: 'client/reply', text: 'GRANTED chunk42', from: 'B' } },
        { kind: 'verdict', which: 'outputRequirement', ok: false },
        { kind: 'verdict', which: 'replay', ok: false },
      ],
    },
  ],
};
