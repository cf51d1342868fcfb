// Tour chapter 10. disk I/O (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 10. disk I/O

export const disk: Chapter = {
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
        { kind: 'event', event: { type: 'storage/disk', op: 'read', block: 0, from: 'A' } },
        { kind: 'event', event: { type: 'entry/appended', vm: 'A', kind: 'disk' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'disk', icount: 19, atIcount: 19 } },
        { kind: 'no-event', event: { type: 'output/held' } },
      ],
    },
    {
      title: 'Ready on both',
      text: 'Block 0 was empty, so both VMs recovered 0 records and are waiting for requests.',
      highlight: ['console'],
      runMs: 10,
      pace: 10,
      expect: [
        { kind: 'event', event: { type: 'console', vm: 'A', text: 'kv-server: recovered 0 records\n' } },
        { kind: 'event', event: { type: 'console', vm: 'B', text: 'kv-server: recovered 0 records\n' } },
      ],
    },
    {
      title: 'Writes are outputs',
      text: "Client 1 sends `PUT x 1`. Before it replies, `kv-server` appends the record to its on-disk journal and waits for the write to complete.\n\nThis step runs at 1 ms per second.",
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
        { kind: 'event', event: { type: 'output/held', vm: 'A', output: 'disk-write', to: 'storage' } },
        { kind: 'event', event: { type: 'output/released', vm: 'A', output: 'disk-write' } },
        { kind: 'event', event: { type: 'storage/disk', op: 'write', block: 0, from: 'A' } },
        { kind: 'event', event: { type: 'entry/appended', vm: 'A', icount: 927, kind: 'disk' } },
        { kind: 'event', event: { type: 'output/held', vm: 'A', output: 'net', to: 'client-1' } },
        { kind: 'event', event: { type: 'client/reply', text: 'OK', from: 'A' } },
      ],
    },
    {
      title: 'The backup writes nothing',
      text: "B executes the same write at the same icount. Its hypervisor checks it against A's output entry and drops it. B then takes the completion from the log.\n\nThe disk gets each write once, from the primary.",
      highlight: ['vm-backup', 'feed'],
      runMs: 8,
      expect: [
        { kind: 'event', event: { type: 'output/suppressed', vm: 'B', output: 'disk-write' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'disk', icount: 927, atIcount: 927 } },
        { kind: 'event', event: { type: 'output/suppressed', vm: 'B', output: 'net' } },
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
        { kind: 'event', event: { type: 'client/reply', text: 'VALUE 1', from: 'A' } },
        { kind: 'verdict', which: 'outputRequirement', ok: true },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
    {
      title: 'Disks in the paper',
      text: 'The paper adds a few details. Disk reads and writes go through bounce buffers, so DMA never races the guest. I/Os that touch the same blocks are forced into the same order on both sides. At go-live, I/Os that were started but never completed are re-issued, as chapter 5 showed. That is safe because each names its blocks and memory explicitly.\n\nThere is an alternative design in which the backup does its own disk reads. It cuts log traffic, but it makes failures of those reads much harder to handle.',
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
