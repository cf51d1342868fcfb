// Tour chapter 5. failover (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 5. failover

export const failover: Chapter = {
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
      text: "Two clients use `kv-server` on the primary, A. Each reply waits at A, held by the Output Rule, until B acknowledges the log entry for it. That takes one round trip on the logging channel, about 0.1 ms. B computes the same reply a few milliseconds later and the hypervisor suppresses it.",
      highlight: ['client', 'held-outputs', 'vm-backup'],
      runMs: 50,
      expect: [
        { kind: 'event', event: { type: 'output/held', vm: 'A' } },
        { kind: 'event', event: { type: 'entry/acked', vm: 'A' } },
        { kind: 'event', event: { type: 'output/released', vm: 'A', role: 'primary' } },
        { kind: 'event', event: { type: 'output/suppressed', vm: 'B' } },
        { kind: 'event', event: { type: 'client/reply', from: 'A' } },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
      ],
    },
    {
      title: 'A write in flight',
      text: "`kv-server` appends every change to its on-disk journal before it replies. At 68.9 ms client 2 sends `INCR k2`. A's disk write is an output, so it waits for B's acknowledgement, then goes to shared storage.\n\nWe stop at 70.3 ms, when storage has just written block 0. Its completion is on its way back to A.",
      highlight: ['held-outputs', 'feed'],
      until: { type: 'storage/disk' },
      runMs: 40,
      expect: [
        { kind: 'event', event: { type: 'output/released', vm: 'A', output: 'disk-write' } },
        { kind: 'event', event: { type: 'storage/disk', op: 'write', block: 0, from: 'A' } },
        { kind: 'no-event', event: { type: 'fault' } },
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
        explain: "B cannot see A die. It only stops hearing from A. B checks at every 10 ms heartbeat, and it suspects A once the channel has been silent for the 60 ms failure timeout. (The paper's timeout is a few seconds, and its heartbeats go between the hosts over UDP besides the logging traffic; Lockstep shrinks the timeout and beats on the logging channel so you can watch.) Here that happens at 140 ms, after 70 ms of silence. A request from client 1 at 84 ms went to A's MAC address and was lost.",
      },
      ask: { prompt: 'Click Kill primary now', action: { kind: 'kill-primary' } },
      until: { type: 'failure/suspected', vm: 'B' },
      runMs: 100,
      expect: [
        { kind: 'event', event: { type: 'fault', kind: 'kill-primary', detail: 'killed A' } },
        { kind: 'role', vm: 'A', role: 'dead' },
        { kind: 'event', event: { type: 'failure/suspected', vm: 'B' } },
        { kind: 'no-event', event: { type: 'vm/went-live' } },
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
        { kind: 'event', event: { type: 'tas/requested', vm: 'B' } },
        { kind: 'event', event: { type: 'storage/tas', holder: 'B' } },
        { kind: 'event', event: { type: 'tas/won', vm: 'B' } },
        { kind: 'event', event: { type: 'vm/went-live', vm: 'B', receivedSeq: 26, consumedSeq: 26 } },
        { kind: 'role', vm: 'B', role: 'live' },
      ],
    },
    {
      title: 'Go-live',
      text: "B won. First it drains the log: it replays every entry it acknowledged. All 26 were already replayed, because B kept replaying while it waited out the silence. B went live at icount 4285, the last point A had told it about. Here that is also where A died, because A was idle, waiting for its disk write.\n\nThen, in the same instant, B advertises the service MAC address so the switch sends client traffic to it, and it re-issues the disk write that had no completion in the log.",
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
        { kind: 'event', event: { type: 'mac/advertised', vm: 'B' } },
        { kind: 'event', event: { type: 'io/reissued', vm: 'B', op: 'write', block: 0 } },
        { kind: 'event', event: { type: 'storage/disk', op: 'write', block: 0, from: 'B' } },
        { kind: 'event', event: { type: 'client/reply', text: 'VALUE 1', from: 'B' } },
        { kind: 'event', event: { type: 'output/released', vm: 'B', role: 'live' } },
      ],
    },
    {
      title: 'Service again',
      text: "B serves alone now, as a live VM. Its outputs leave at once, because there is no backup to wait for.\n\nClient 1's request from 84 ms never reached anyone, so it times out at 184 ms. The checker counts it as an operation that may or may not have happened. All three checkers stay green.",
      highlight: ['client', 'verdicts'],
      runMs: 150,
      pace: 30,
      expect: [
        { kind: 'event', event: { type: 'client/timeout', client: 1 } },
        { kind: 'event', event: { type: 'client/reply', from: 'B' } },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
  ],
};
