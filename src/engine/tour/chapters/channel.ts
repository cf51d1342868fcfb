// Tour chapter 7. the logging channel (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 7. the logging channel

export const channel: Chapter = {
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
      text: "`primes` searches for primes and never idles, like the paper's SPECjbb. It logs a timer tick and a state hash every 10 ms.\n\nA buffers entries and flushes them on the logging channel. B buffers them, acknowledges each batch on receipt, and replays. Each buffer here holds only 6 entries, so you can watch them fill (the paper's are large). B's acknowledgements carry its icount, so A knows the execution lag. It is 9.5 ms, because B may run only as far as the horizon A last sent.",
      highlight: ['log-buffer', 'channel-stats', 'metrics'],
      runMs: 30,
      expect: [
        { kind: 'event', event: { type: 'entry/flushed', vm: 'A' } },
        { kind: 'event', event: { type: 'entry/received', vm: 'B' } },
        { kind: 'event', event: { type: 'entry/acked', vm: 'A', lagMs: 9.5 } },
        { kind: 'no-event', event: { type: 'vm/throttle' } },
        { kind: 'no-event', event: { type: 'vm/stall', vm: 'A' } },
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
        explain: 'B needs 20 ms to replay each 10 ms of A\'s work, and it may skip nothing. Once the lag passes the 20 ms limit, A asks for less CPU for itself: 5% less per heartbeat. (The paper acts at a lag of about a second and cuts a few percent at a time; the limits here are small, so a chapter can show the loop.)',
      },
      do: [{ kind: 'slow-backup', speed: 0.5 }],
      until: { type: 'vm/throttle', vm: 'A' },
      runMs: 60,
      expect: [
        { kind: 'event', event: { type: 'fault', kind: 'slow-backup' } },
        { kind: 'event', event: { type: 'entry/acked', vm: 'A', lagMs: 19.25 } },
        { kind: 'event', event: { type: 'vm/throttle', vm: 'A', cpu: 0.95 } },
      ],
    },
    {
      title: 'The buffers fill',
      text: "The feedback loop is slow on purpose. It keeps cutting A's CPU share, but the lag keeps growing for a while, past 40 ms.\n\nMeanwhile B's 6-entry buffer is full of entries it has not reached yet. A may send only as many entries as B has free space for, so entries pile up in A's buffer too.",
      highlight: ['log-buffer', 'metrics'],
      until: { type: 'vm/stall', vm: 'A' },
      runMs: 100,
      expect: [
        { kind: 'event', event: { type: 'vm/stall', vm: 'A', reason: 'log-full' } },
        { kind: 'event', event: { type: 'vm/throttle', vm: 'A', cpu: { near: 0.7 } } },
      ],
    },
    {
      title: 'A full buffer stalls the primary',
      text: "A's buffer is full, and A stops. This is natural flow control: A cannot get further ahead than its buffers allow.\n\nEach time B frees a slot, A runs just long enough to fill it and stops again. Once B has caught up, A runs on, its buffer empty.",
      highlight: ['vm-primary', 'log-buffer'],
      predict: {
        question: 'What would clients of a stalled primary see?',
        choices: ['Slightly slower replies', 'An unresponsive server: no instruction runs, so no reply is computed', 'Nothing at all: outputs still flow'],
        answer: 1,
        explain: 'A stalled primary executes nothing. The paper calls this natural flow control but wants it rare, because clients see an unresponsive VM. Here A stalls at 120 ms. Until 209 ms it runs only in short bursts, each time B frees a slot (at about 124, 142, 158, 174, 188 and 202 ms), and stalls again as soon as its buffer is full. At 209 ms B has caught up, and A runs on.',
      },
      runMs: 100,
      expect: [
        { kind: 'event', event: { type: 'vm/stall', vm: 'A', reason: null } },
        { kind: 'event', event: { type: 'entry/acked', vm: 'A', lagMs: 0.225 } },
        { kind: 'role', vm: 'A', role: 'primary' },
      ],
    },
    {
      title: 'The feedback loop',
      text: "With the lag under 10 ms, half the limit, A gets its CPU back 5% at a time. The lag creeps up again, and past 20 ms the loop trims A again. Over time A's share swings around the speed B can replay (half, here).\n\nThe paper sees this only under extreme stress. Go-live time is roughly the failure timeout plus the lag, so a backup must not fall far behind.",
      highlight: ['metrics', 'timeline'],
      runMs: 200,
      pace: 40,
      expect: [
        { kind: 'event', event: { type: 'vm/throttle', vm: 'A', cpu: { near: 0.6 } } },
        { kind: 'role', vm: 'A', role: 'primary' },
        { kind: 'verdict', which: 'replay', ok: true },
      ],
    },
  ],
};
