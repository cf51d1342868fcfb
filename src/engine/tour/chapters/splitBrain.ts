// Tour chapter 6. split brain (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 6. split brain

export const splitBrain: Chapter = {
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
      text: 'A is the primary and B the backup, with two clients. The logging channel carries log entries from A to B and acknowledgements from B to A, and heartbeats both ways.',
      highlight: ['vm-primary', 'vm-backup', 'channel-view'],
      runMs: 40,
      expect: [
        { kind: 'event', event: { type: 'client/reply', from: 'A' } },
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
        { kind: 'event', event: { type: 'fault', kind: 'cut-channel', detail: 'cut the logging channel both ways between A and B' } },
        { kind: 'event', event: { type: 'failure/suspected', vm: 'A' } },
        { kind: 'event', event: { type: 'failure/suspected', vm: 'B' } },
        { kind: 'event', event: { type: 'output/held', vm: 'A', seq: 18, output: 'net', to: 'client-2' } },
        { kind: 'event', event: { type: 'output/held', vm: 'A', seq: 20, output: 'net', to: 'client-1' } },
        { kind: 'no-event', event: { type: 'vm/went-live' } },
      ],
    },
    {
      title: 'Test-and-set picks one',
      text: "Both suspected the other at 100 ms and sent test-and-set to storage at the same moment. Storage serves one request at a time. This step runs at 1 ms per second.\n\nDuring the 60 ms of silence A kept running and computed replies for both clients. Those replies are held by the Output Rule, waiting for acknowledgements that will never come.",
      highlight: ['feed', 'held-outputs'],
      until: { type: 'tas/lost' },
      runMs: 20,
      pace: 1,
      expect: [
        { kind: 'event', event: { type: 'tas/won', vm: 'B' } },
        { kind: 'event', event: { type: 'vm/went-live', vm: 'B' } },
        { kind: 'event', event: { type: 'tas/lost', vm: 'A', holder: 'B' } },
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
        { kind: 'event', event: { type: 'client/timeout', client: 2 } },
        { kind: 'no-event', event: { type: 'output/released', vm: 'B' } },
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
        { kind: 'event', event: { type: 'snapshot/sent', vm: 'B', to: 'C' } },
        { kind: 'role', vm: 'B', role: 'primary' },
        { kind: 'role', vm: 'C', role: 'backup' },
        { kind: 'event', event: { type: 'output/released', vm: 'B', role: 'primary' } },
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
        explain: 'A VM that slept must look before it acts. Awake, B listens for a whole failure timeout, then suspects C and asks storage. C holds the test-and-set, so B halts without sending anything.',
      },
      do: [{ kind: 'pause', vm: 'primary', forMs: 100 }],
      until: { type: 'vm/went-live', vm: 'C' },
      runMs: 100,
      expect: [
        { kind: 'event', event: { type: 'vm/stall', vm: 'B', reason: 'paused' } },
        { kind: 'event', event: { type: 'failure/suspected', vm: 'C' } },
        { kind: 'event', event: { type: 'tas/won', vm: 'C' } },
        { kind: 'role', vm: 'C', role: 'live' },
        { kind: 'role', vm: 'B', role: 'primary' },
      ],
    },
    {
      title: 'The sleeper wakes',
      text: "C went live at 252.4 ms. B sleeps until 291.4 ms. Awake, it cannot trust the silence it slept through (its NIC dropped everything), so it listens for one failure timeout before it suspects anyone. (This listening afresh is Lockstep's safeguard; the paper does not discuss a paused VM.)",
      highlight: ['vm-B', 'feed'],
      until: { type: 'tas/lost', vm: 'B' },
      runMs: 160,
      expect: [
        { kind: 'event', event: { type: 'failure/suspected', vm: 'B', peer: 'C' } },
        { kind: 'event', event: { type: 'tas/lost', vm: 'B', holder: 'C' } },
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
        { kind: 'event', event: { type: 'client/reply', from: 'C' } },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
      ],
    },
  ],
};
