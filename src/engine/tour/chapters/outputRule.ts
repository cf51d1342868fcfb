// Tour chapter 4. the Output Rule (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 4. the Output Rule

export const outputRule: Chapter = {
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
      text: "The paper's Output Requirement: if the backup ever takes over after the primary fails, it must go on in a way entirely consistent with every output the primary has sent. The Output Rule enforces it: the primary may not send an output until the backup has acknowledged the log entry for it. Only the output waits. The primary keeps running.\n\nThis chapter turns the rule off (see Switches). It also slows the logging channel to 0.1 Mbit/s, so log entries take milliseconds to reach B.\n\nAt 20 ms client 1 sends `PUT counter 10`.",
      highlight: ['switches', 'held-outputs', 'channel-view'],
      predict: {
        question: "Without the rule, when does A's reply `OK` leave?",
        choices: ['As soon as A computes it', 'After B acknowledges its log entry', 'After B has replayed the PUT'],
        answer: 0,
        explain: 'A sends the reply at 22.1 ms with an output delay of 0. At that moment B has acknowledged only entry #4 of the 10 A has logged. Nothing is held by the Output Rule.',
      },
      until: { type: 'client/reply' },
      runMs: 30,
      pace: 10,
      expect: [
        { kind: 'event', event: { type: 'output/released', vm: 'A', seq: 10, output: 'net', to: 'client-1', role: 'primary', delayMs: 0, ackedSeq: 4 } },
        { kind: 'event', event: { type: 'client/reply', text: 'OK', from: 'A' } },
        { kind: 'no-event', event: { type: 'output/held' } },
      ],
    },
    {
      title: 'The counter reaches 11',
      text: 'B reaches its own copy of the reply at 30 ms, 7 ms after the client got its OK.\n\nAt 100 ms client 1 sends `INCR counter`. A logs the request packet (entry #27), appends the change to its on-disk journal and replies `VALUE 11` to client 1 at once. The four new entries are still creeping down the slow channel.',
      highlight: ['client', 'log-buffer', 'channel-view'],
      runMs: 80,
      expect: [
        { kind: 'event', event: { type: 'output/suppressed', vm: 'B', seq: 10 } },
        { kind: 'event', event: { type: 'client/reply', text: 'VALUE 11', from: 'A' } },
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
        { kind: 'event', event: { type: 'fault', kind: 'kill-primary' } },
        { kind: 'event', event: { type: 'vm/went-live', vm: 'B', receivedSeq: 26, consumedSeq: 26 } },
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
        { kind: 'event', event: { type: 'client/reply', text: 'VALUE 11', from: 'B' } },
        { kind: 'verdict', which: 'outputRequirement', ok: false },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'What the rule would have changed',
      text: "This run had the rule off, and the Output Requirement check fails on it (see Checkers).\n\nWith the rule on, A's outputs would have been held by the Output Rule until B acknowledged them: 6 to 8 ms over this slow channel. A died at 104 ms, before B acknowledged the INCR, so nothing about it would have left A. Not even the disk write.\n\nClient 1 would have got no reply and timed out, which is allowed: the request may or may not have happened. Client 2 would then get 11, and that is consistent.\n\nThe price is latency: every output waits one round trip on the logging channel. To watch it, leave the tour and send the same requests with the Output Rule switch on.",
      highlight: ['held-outputs', 'verdicts'],
      predict: {
        question: 'With the Output Rule on, what does client 1 see for its INCR?',
        choices: ['VALUE 11, as before', 'No reply: it times out, and that is consistent with either outcome', 'VALUE 12'],
        answer: 1,
        explain: "The rule holds an output until the backup has what it needs to reproduce it. Every reply a client has seen is one the backup can repeat after a failover. The rule gives no exactly-once guarantee: after a failover the new primary may send the last output again (TCP discards the duplicate), and a request in flight may be lost (the client retries).",
      },
      expect: [{ kind: 'verdict', which: 'outputRequirement', ok: false }],
    },
  ],
};
