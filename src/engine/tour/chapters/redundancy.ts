// Tour chapter 9. restoring redundancy (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 9. restoring redundancy

export const redundancy: Chapter = {
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
      expect: [{ kind: 'event', event: { type: 'client/reply', from: 'A' } }],
    },
    {
      title: 'A failover',
      text: 'The narrator kills A. As in chapter 5, B waits out the silence, wins test-and-set, goes live at 100.9 ms and advertises the service MAC address.',
      highlight: ['vm-B', 'feed'],
      do: [{ kind: 'kill-primary' }],
      runMs: 65,
      expect: [
        { kind: 'event', event: { type: 'tas/won', vm: 'B' } },
        { kind: 'event', event: { type: 'vm/went-live', vm: 'B' } },
        { kind: 'event', event: { type: 'mac/advertised', vm: 'B' } },
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
        { kind: 'event', event: { type: 'client/reply', client: 9, reqId: 1, text: 'OK', from: 'B' } },
        { kind: 'event', event: { type: 'output/released', vm: 'B', role: 'live', delayMs: 0 } },
        { kind: 'no-event', event: { type: 'output/held', vm: 'B' } },
      ],
    },
    {
      title: 'Restart the backup',
      text: "VMware FT restores redundancy with FT VMotion. Instead of moving the VM, it clones it. The live VM sends a snapshot of its running machine to a new VM on another host. Then it starts logging again from the next entry, and the new VM replays that log. (In the paper the clone pauses the primary for under a second and redundancy is back within minutes, on a host a cluster service picks; here the snapshot arrives at once.)\n\nThe disks live on shared storage, so nothing but the machine's memory and registers has to be copied. Right after the restart, client 9 sends `GET x`.",
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
        { kind: 'event', event: { type: 'snapshot/sent', vm: 'B', to: 'C' } },
        { kind: 'role', vm: 'B', role: 'primary' },
        { kind: 'role', vm: 'C', role: 'backup' },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'C' } },
        { kind: 'event', event: { type: 'output/held', vm: 'B' } },
        { kind: 'event', event: { type: 'output/suppressed', vm: 'C' } },
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
        { kind: 'event', event: { type: 'failure/suspected', vm: 'C' } },
        { kind: 'event', event: { type: 'tas/won', vm: 'C' } },
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
        { kind: 'event', event: { type: 'client/reply', from: 'C' } },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
        { kind: 'verdict', which: 'splitBrain', ok: true },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
  ],
};
