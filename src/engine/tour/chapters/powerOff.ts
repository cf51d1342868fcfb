// Tour chapter 8. power off (the chapters and how they are checked: ./index.ts).

import type { Chapter } from '../types';

// ------------------------------------------------------------------ 8. power off

export const powerOff: Chapter = {
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
        { kind: 'event', event: { type: 'client/reply', from: 'A' } },
        { kind: 'role', vm: 'B', role: 'backup' },
      ],
    },
    {
      title: 'Power off the primary',
      text: "Powering off is a control operation. A stops its guest, appends a control log entry at its current icount and flushes it. FT sends power-off and changes of CPU share over the logging channel this way. (That A then halts once B has acknowledged the entry is Lockstep's choice.)\n\nLockstep adds one safeguard the paper does not describe: at the same moment A takes test-and-set on shared storage, so that a backup that never gets the entry (a cut channel) cannot go live either.",
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
        { kind: 'event', event: { type: 'entry/appended', vm: 'A', kind: 'control' } },
        { kind: 'event', event: { type: 'entry/replayed', vm: 'B', kind: 'control', icount: 2006, atIcount: 2006 } },
        { kind: 'role', vm: 'A', role: 'halted' },
        { kind: 'role', vm: 'B', role: 'halted' },
        { kind: 'no-event', event: { type: 'failure/suspected', vm: 'B' } },
        { kind: 'no-event', event: { type: 'tas/requested', vm: 'B' } },
        { kind: 'no-event', event: { type: 'vm/went-live' } },
      ],
    },
    {
      title: 'Nobody answers',
      text: 'The clients sent requests at 52 and 58 ms to a VM that was off, and they time out. That is what an administrator expects from powering off a VM.',
      highlight: ['client'],
      runMs: 20,
      expect: [
        { kind: 'event', event: { type: 'client/timeout', client: 1 } },
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
        { kind: 'no-event', event: { type: 'vm/went-live' } },
      ],
    },
  ],
};
