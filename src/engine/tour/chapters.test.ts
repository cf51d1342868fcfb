import { describe, expect, it } from 'vitest';
import { vmNode } from '../ft/messages';
import type { Role } from '../ft/trace';
import { checkpointMismatch, SimSession } from '../session/simSession';
import { validateScenario, type ScenarioInput } from '../sim/scenario';
import { CHAPTERS, chapterById } from './chapters';
import { ChapterPlayer } from './player';
import type { Chapter, PanelId, Step } from './types';

/** The longest a step's run may take at its pace, in wall seconds. */
const MAX_WALL_SECONDS = 6;

const chapter = (id: string): Chapter => {
  const ch = chapterById(id);
  if (!ch) throw new Error(`no chapter ${id}`);
  return ch;
};

const runs = (s: Step): boolean => (s.runMs ?? 0) > 0 || (s.do ?? []).length > 0 || s.ask !== undefined;

type Roles = ReadonlyMap<string, Role>;

/** The VMs' roles over one step's run, for checking what its VM highlights outline. */
interface StepRoles {
  /** As the step opens: before its prediction, its asked action and its own actions. */
  readonly opening: Roles;
  /** When its run starts: the asked action and the step's own actions taken. */
  readonly start: Roles;
  /** Once it has run. */
  readonly end: Roles;
  /** Every role change from its opening to its end, in order (C's start included). */
  readonly changes: readonly { readonly vm: string; readonly role: Role }[];
}

const rolesOf = (p: ChapterPlayer | SimSession): Roles => {
  const session = p instanceof ChapterPlayer ? p.session : p;
  return new Map([...session.world.vms.values()].map((vm) => [vm.id, vm.role]));
};

/** The VMs a VM highlight outlines when the VMs have these roles (the page's data-panel, see src/ui/VmPanel.tsx). */
function outlined(id: PanelId, roles: Roles): string[] {
  return [...roles]
    .filter(([vm, role]) => (id === 'vm-primary' ? role === 'primary' || role === 'live' : id === 'vm-backup' ? role === 'backup' : id === `vm-${vm}`))
    .map(([vm]) => vm);
}

/**
 * What is wrong with a step's VM highlights, given the roles over its run: each must outline some
 * VM at the start of the run or at its end, and a role (vm-primary, vm-backup) must outline the
 * same VMs throughout the step; where roles change, a step names the VM (vm-A, vm-B, vm-C).
 */
function vmHighlightProblems(step: Step, r: StepRoles): string[] {
  const problems: string[] = [];
  for (const id of step.highlight ?? []) {
    if (!id.startsWith('vm-')) continue;
    if (outlined(id, r.start).length === 0 && outlined(id, r.end).length === 0) {
      problems.push(`${id} outlines no VM at the start of the run or at its end`);
      continue;
    }
    if (id !== 'vm-primary' && id !== 'vm-backup') continue;
    const roles = new Map(r.opening);
    const first = outlined(id, roles).join(', ') || 'no VM';
    for (const c of r.changes) {
      roles.set(c.vm, c.role);
      const now = outlined(id, roles).join(', ') || 'no VM';
      if (now !== first) {
        problems.push(`${id} outlines ${first}, then ${now} once ${c.vm} is ${c.role}: name the VM`);
        break;
      }
    }
  }
  return problems;
}

/** Play a chapter from its first step to its last as a learner would; returns each step's player state. */
function playThrough(ch: Chapter): { player: ChapterPlayer; wallSeconds: number[]; roles: StepRoles[] } {
  const player = new ChapterPlayer(ch);
  const wallSeconds: number[] = [];
  const roles: StepRoles[] = [];
  const changes: { vm: string; role: Role }[] = [];
  const unsubscribe = player.session.onTrace((ev) => {
    if (ev.type === 'vm/role') changes.push({ vm: ev.vm, role: ev.role });
  });
  // The player opened step 0 and took its actions if it asks nothing: its opening is the scenario's start.
  const initial = new SimSession({ scenario: validateScenario(ch.scenario), source: ch.source ?? null });
  ch.steps.forEach((step, i) => {
    const where = `chapter ${ch.id}, step ${i} "${step.title}"`;
    const opening = rolesOf(i === 0 ? initial : player);
    const changedBefore = changes.length;
    if (i > 0) expect(player.next(), where).toBe(true);
    expect(player.step, where).toBe(i);
    const start = player.session.now;
    if (step.predict) {
      expect(player.phase, where).toBe('predict');
      player.answer(step.predict.answer);
    }
    if (step.ask) {
      expect(player.phase, where).toBe('ask');
      expect(player.act(step.ask.action), where).toBe(true);
    }
    const runStart = rolesOf(player);
    expect(player.advance(), where).toBe(true);
    expect(player.phase, where).toBe('done');
    expect(player.unmet(), `${where}: expectations not met`).toEqual([]);
    roles.push({ opening, start: runStart, end: rolesOf(player), changes: changes.slice(changedBefore) });
    const elapsed = player.session.now - start;
    // An `until` step must end on its event, not on its runMs cap.
    if (step.until) expect(elapsed, `${where}: ${step.until.type} never came`).toBeLessThan(step.runMs ?? 0);
    wallSeconds.push(elapsed / player.pace);
  });
  unsubscribe();
  expect(player.isLast).toBe(true);
  expect(player.next()).toBe(false);
  return { player, wallSeconds, roles };
}

/** Each step's VM highlight problems in a chapter, played through. */
function highlightProblems(ch: Chapter): string[] {
  const { roles } = playThrough(ch);
  return ch.steps.flatMap((s, i) => vmHighlightProblems(s, roles[i]!).map((p) => `step ${i} "${s.title}": ${p}`));
}

describe('the tour', () => {
  it('has ten chapters in order, found by id', () => {
    expect(CHAPTERS.map((c) => c.id)).toEqual([
      'determinism',
      'replay',
      'divergence',
      'output-rule',
      'failover',
      'split-brain',
      'channel',
      'power-off',
      'redundancy',
      'disk',
    ]);
    for (const c of CHAPTERS) expect(chapterById(c.id)).toBe(c);
    expect(chapterById('no-such-chapter')).toBeUndefined();
  });

  it('asks the learner to take the key fault in the failover, split-brain, power-off and redundancy chapters', () => {
    const asked = (id: string) => chapter(id).steps.flatMap((s) => (s.ask ? [s.ask.action.kind] : []));
    expect(asked('failover')).toContain('kill-primary');
    expect(asked('split-brain')).toContain('cut-channel');
    expect(asked('power-off')).toContain('power-off-primary');
    expect(asked('redundancy')).toContain('restart-backup');
  });
});

describe.each(CHAPTERS.map((c) => [c.id, c] as const))('chapter %s', (id, ch) => {
  it('is well formed', () => {
    expect(ch.title.trim()).not.toBe('');
    expect(ch.summary.trim()).not.toBe('');
    expect(ch.pace).toBeGreaterThan(0);
    expect(() => validateScenario(ch.scenario, id)).not.toThrow();
    expect(ch.steps.length).toBeGreaterThanOrEqual(4);
    expect(ch.steps.length).toBeLessThanOrEqual(8);
    expect(new Set(ch.steps.map((s) => s.title)).size).toBe(ch.steps.length);
    expect(ch.steps.some((s) => s.predict)).toBe(true);
    ch.steps.forEach((s, i) => {
      const where = `${id} step ${i} "${s.title}"`;
      expect(s.title.trim(), where).not.toBe('');
      expect(s.text.trim(), where).not.toBe('');
      if (s.until) expect(s.runMs, `${where}: until without runMs`).toBeGreaterThan(0);
      if (s.pace !== undefined) expect(s.pace, where).toBeGreaterThan(0);
      if (runs(s)) expect(s.expect?.length ?? 0, `${where}: runs without expectations`).toBeGreaterThan(0);
      if (s.predict) {
        const p = s.predict;
        expect(p.question.trim(), where).not.toBe('');
        expect(p.explain.trim(), where).not.toBe('');
        expect(p.choices.length, where).toBeGreaterThanOrEqual(2);
        expect(p.choices.length, where).toBeLessThanOrEqual(4);
        expect(new Set(p.choices).size, where).toBe(p.choices.length);
        expect(Number.isInteger(p.answer) && p.answer >= 0 && p.answer < p.choices.length, `${where}: answer ${p.answer}`).toBe(true);
      }
      if (s.ask) expect(s.ask.prompt.trim(), where).not.toBe('');
    });
  });

  it('plays from the first step to the last with every expectation met, each run watchable', () => {
    const { wallSeconds } = playThrough(ch);
    wallSeconds.forEach((w, i) => expect(w, `${id} step ${i}: ${w.toFixed(2)} wall seconds`).toBeLessThanOrEqual(MAX_WALL_SECONDS));
  });

  it('points each VM highlight at a VM in a fitting role, by name where roles change', () => {
    expect(highlightProblems(ch)).toEqual([]);
  });

  it('plays the same every time, and a replay of its actions reproduces its checkpoints', () => {
    const a = new ChapterPlayer(ch, ch.steps.length - 1);
    a.completeAuto();
    const b = new ChapterPlayer(ch, ch.steps.length - 1);
    b.completeAuto();
    expect(b.session.stateHashes()).toEqual(a.session.stateHashes());
    expect(b.session.trace.length).toBe(a.session.trace.length);
    // What a recording of the tour stores: the scenario and the actions. Its replay must agree.
    const replay = new SimSession({ scenario: validateScenario(ch.scenario), source: ch.source ?? null }, a.session.actions);
    replay.runTo(a.session.now);
    expect(checkpointMismatch(a.session.checkpoints, replay.checkpoints)).toBeNull();
    expect(replay.stateHashes()).toEqual(a.session.stateHashes());
    expect(replay.trace.length).toBe(a.session.trace.length);
  });
});

describe('what the narration claims', () => {
  it('determinism: both VMs halt at icount 826 with the same state hash', () => {
    const { player } = playThrough(chapter('determinism'));
    const [a, b] = player.session.stateHashes();
    expect(a).toEqual({ id: 'A', icount: 826, hash: b?.hash });
    expect(b?.icount).toBe(826);
  });

  it('divergence: the checker names two clients holding chunk42 at once', () => {
    const { player } = playThrough(chapter('divergence'));
    expect(player.session.verdicts().outputRequirement.message).toMatch(/lease chunk42 granted to client 2 at 77\.2 ms while client 1 held it until 84\.2 ms/);
  });

  it('output-rule: off, client 2 sees 11 again; on, client 1 gets no reply and everything is consistent', () => {
    const ch = chapter('output-rule');
    const { player } = playThrough(ch);
    expect(player.session.verdicts().outputRequirement.message).toMatch(/client 2 saw INCR counter = 11/);
    const on: ScenarioInput = { ...ch.scenario, ft: { ...ch.scenario.ft, outputRule: true } };
    const s = new SimSession({ scenario: validateScenario(on) });
    s.runTo(400);
    expect(s.verdicts().outputRequirement.ok).toBe(true);
    const ops = s.world.clients.flatMap((c) => c.history);
    expect(ops.find((o) => o.client === 1 && o.text === 'INCR counter')?.status).toBe('info');
    expect(ops.find((o) => o.client === 2)?.reply).toBe('VALUE 11');
    const delays = s.trace.flatMap((e) => (e.type === 'output/released' && e.vm === 'A' ? [e.delayMs] : []));
    expect(Math.min(...delays)).toBeGreaterThan(6);
    expect(Math.max(...delays)).toBeLessThan(9);
  });

  it('failover: client 2 gets exactly one reply to the INCR whose write was re-issued, and nobody gets a duplicate', () => {
    const { player } = playThrough(chapter('failover'));
    const replies = player.session.trace.filter((e) => e.type === 'client/reply');
    const incr = replies.filter((e) => e.type === 'client/reply' && e.client === 2 && e.reqId === 3);
    expect(incr).toHaveLength(1);
    expect(incr[0]).toMatchObject({ text: 'VALUE 1', from: 'B', duplicate: false });
    expect(replies.some((e) => e.type === 'client/reply' && e.duplicate)).toBe(false);
    const writes = player.session.trace.filter((e) => e.type === 'storage/disk' && e.op === 'write' && e.block === 0);
    expect(writes.map((e) => e.type === 'storage/disk' && e.from)).toEqual(['A', 'B']);
  });

  it('split-brain: the replies A held during the cut never leave', () => {
    const { player } = playThrough(chapter('split-brain'));
    const releasedByA = player.session.trace.filter((e) => e.type === 'output/released' && e.vm === 'A').map((e) => e.type === 'output/released' && e.seq);
    expect(releasedByA).not.toContain(18);
    expect(releasedByA).not.toContain(20);
    expect(player.session.trace.some((e) => e.type === 'output/released' && e.vm === 'B' && e.t > 191.436 && e.t < 292.5)).toBe(false);
  });
});

describe('VM highlights', () => {
  const roles = (entries: Record<string, Role>): Roles => new Map(Object.entries(entries));
  const still = (r: Roles): StepRoles => ({ opening: r, start: r, end: r, changes: [] });
  /** A copy of a chapter with one step's highlight replaced. */
  const withHighlight = (ch: Chapter, title: string, highlight: readonly PanelId[]): Chapter => {
    expect(ch.steps.some((s) => s.title === title), title).toBe(true);
    return { ...ch, steps: ch.steps.map((s) => (s.title === title ? { ...s, highlight } : s)) };
  };

  it('the checker: a role nobody has, a VM that does not exist, a role that moves to another VM', () => {
    const goLive: Step = { title: 'Go-live', text: 'B is live.', highlight: ['vm-backup', 'feed'] };
    const afterFailover = still(roles({ A: 'dead', B: 'live' }));
    expect(vmHighlightProblems(goLive, afterFailover)).toEqual(['vm-backup outlines no VM at the start of the run or at its end']);
    expect(vmHighlightProblems({ ...goLive, highlight: ['vm-B', 'feed'] }, afterFailover)).toEqual([]);
    expect(vmHighlightProblems({ ...goLive, highlight: ['vm-primary'] }, afterFailover)).toEqual([]);
    expect(vmHighlightProblems({ ...goLive, highlight: ['vm-C', 'vm-A'] }, afterFailover)).toEqual(['vm-C outlines no VM at the start of the run or at its end']);
    // A role found only at the end is enough for that check (a new backup, C).
    const restart: StepRoles = {
      opening: roles({ A: 'dead', B: 'live' }),
      start: roles({ A: 'dead', B: 'live' }),
      end: roles({ A: 'dead', B: 'primary', C: 'backup' }),
      changes: [],
    };
    expect(vmHighlightProblems({ ...goLive, highlight: ['vm-C'] }, restart)).toEqual([]);
    // B, primary, halts during the step while C is live: vm-primary outlines B and C, then C alone.
    const sleeper: StepRoles = {
      opening: roles({ A: 'halted', B: 'primary', C: 'live' }),
      start: roles({ A: 'halted', B: 'primary', C: 'live' }),
      end: roles({ A: 'halted', B: 'halted', C: 'live' }),
      changes: [{ vm: 'B', role: 'halted' }],
    };
    expect(vmHighlightProblems({ ...goLive, highlight: ['vm-primary', 'feed'] }, sleeper)).toEqual(['vm-primary outlines B, C, then C once B is halted: name the VM']);
    expect(vmHighlightProblems({ ...goLive, highlight: ['vm-B', 'feed'] }, sleeper)).toEqual([]);
  });

  it('played: the chapters with a broken highlight put back fail on that step', () => {
    expect(highlightProblems(withHighlight(chapter('failover'), 'Go-live', ['vm-backup', 'feed', 'client']))).toEqual([
      'step 4 "Go-live": vm-backup outlines no VM at the start of the run or at its end',
    ]);
    expect(highlightProblems(withHighlight(chapter('redundancy'), 'The second failure', ['vm-backup', 'feed']))).toEqual([
      'step 4 "The second failure": vm-backup outlines C, then no VM once C is live: name the VM',
    ]);
    expect(highlightProblems(withHighlight(chapter('split-brain'), 'The sleeper wakes', ['vm-primary', 'feed']))).toEqual([
      'step 6 "The sleeper wakes": vm-primary outlines B, C, then C once B is halted: name the VM',
    ]);
    expect(highlightProblems(withHighlight(chapter('determinism'), 'Same end', ['vm-C', 'verdicts']))).toEqual([
      'step 3 "Same end": vm-C outlines no VM at the start of the run or at its end',
    ]);
  });
});

describe('jumping to a step', () => {
  /** Play steps 0..k-1 as the page does: a wrong prediction, the asked click, runs in small slices. */
  function byHand(ch: Chapter, k: number): ChapterPlayer {
    const p = new ChapterPlayer(ch);
    for (let i = 0; i < k; i++) {
      const s = p.current;
      if (s.predict) p.answer((s.predict.answer + 1) % s.predict.choices.length);
      if (s.ask) expect(p.act(s.ask.action)).toBe(true);
      let n = 0;
      for (let slice = 0; !p.advance(p.session.now + 0.37, () => ++n % 40 === 0); slice++) expect(slice).toBeLessThan(100_000);
      expect(p.unmet()).toEqual([]);
      p.next();
    }
    return p;
  }

  it.each([
    ['failover', 1],
    ['failover', 3],
    ['failover', 5],
    ['split-brain', 2],
    ['split-brain', 6],
    ['channel', 3],
  ] as const)('%s step %i: the same state as playing the steps before it by hand', (id, k) => {
    const ch = chapter(id);
    const jumped = new ChapterPlayer(ch, k);
    const hand = byHand(ch, k);
    expect(jumped.step).toBe(k);
    expect(hand.step).toBe(k);
    expect(jumped.phase).toBe(hand.phase);
    expect(jumped.session.now).toBe(hand.session.now);
    expect(jumped.session.stateHashes()).toEqual(hand.session.stateHashes());
    expect(jumped.session.trace.length).toBe(hand.session.trace.length);
    expect(jumped.session.checkpoints).toEqual(hand.session.checkpoints);
  });

  it('clamps a step beyond the last to the last', () => {
    const ch = chapter('determinism');
    expect(new ChapterPlayer(ch, 99).step).toBe(ch.steps.length - 1);
    expect(new ChapterPlayer(ch, -3).step).toBe(0);
  });
});

describe('the player', () => {
  const failover = chapter('failover');
  const killStep = failover.steps.findIndex((s) => s.ask?.action.kind === 'kill-primary');

  it('waits for the asked action: anything else is taken but does not start the run', () => {
    const p = new ChapterPlayer(failover, killStep);
    expect(p.phase).toBe('predict');
    expect(p.act({ kind: 'request', client: 9, text: 'GET k0' })).toBe(false); // before answering: taken, not awaited
    p.answer(0); // a wrong prediction still moves on
    expect(p.choice).toBe(0);
    expect(p.phase).toBe('ask');
    const now = p.session.now;
    expect(p.act({ kind: 'kill-backup' })).toBe(false);
    expect(p.phase).toBe('ask');
    expect(p.advance()).toBe(false);
    expect(p.session.now).toBe(now);
    expect(p.session.trace.some((e) => e.type === 'fault' && e.kind === 'kill-backup')).toBe(true);
    expect(p.act({ kind: 'kill-primary' })).toBe(true);
    expect(p.phase).toBe('run');
    expect(p.advance()).toBe(true);
    expect(p.phase).toBe('done');
  });

  it('matches the asked action field by field', () => {
    const ch = chapter('split-brain');
    const cut = ch.steps.findIndex((s) => s.ask?.action.kind === 'cut-channel');
    const p = new ChapterPlayer(ch, cut);
    p.answer(1);
    expect(p.act({ kind: 'cut-channel', direction: 'to-backup' })).toBe(false);
    expect(p.phase).toBe('ask');
    expect(p.act({ kind: 'cut-channel', direction: 'both' })).toBe(true);
  });

  it('runs in slices no further than the caller allows', () => {
    const p = new ChapterPlayer(chapter('determinism'));
    p.answer(1);
    expect(p.advance(2)).toBe(false);
    expect(p.session.now).toBe(2);
    expect(p.phase).toBe('run');
    expect(p.advance(Infinity, () => true)).toBe(false); // the caller's budget is spent at once
    expect(p.advance()).toBe(true);
    expect(p.session.now).toBe(7); // A's greeting: the step's `until`
  });

  it('catches an awaited event that the asked action itself emits', () => {
    const ch: Chapter = {
      id: 'test-until-on-ask',
      title: 'until on the asked action',
      summary: 'The asked action kills A; the step waits for A to die.',
      scenario: { program: 'kv-server', seed: 1, durationMs: 500 },
      pace: 20,
      steps: [
        { title: 'a', text: 'a', runMs: 30, expect: [{ kind: 'role', vm: 'A', role: 'primary' }] },
        {
          title: 'b',
          text: 'b',
          ask: { prompt: 'Kill it', action: { kind: 'kill-primary' } },
          until: { type: 'vm/role', vm: 'A' },
          runMs: 50,
          expect: [{ kind: 'role', vm: 'A', role: 'dead' }],
        },
      ],
    };
    const p = new ChapterPlayer(ch, 1);
    expect(p.act({ kind: 'kill-primary' })).toBe(true);
    expect(p.advance()).toBe(true);
    expect(p.session.now).toBe(30); // not 80: A's death is the event the step waited for
    expect(p.unmet()).toEqual([]);
  });

  it('reports expectations that do not hold', () => {
    // Nobody dies in the determinism chapter: a step expecting a failover must fail.
    const ch = chapter('determinism');
    const p = new ChapterPlayer(ch, ch.steps.length - 1);
    p.completeAuto();
    expect(p.unmet()).toEqual([]);
    const wrong: Step = {
      ...ch.steps[2]!,
      expect: [
        { kind: 'event', event: { type: 'vm/went-live', vm: 'B' } },
        { kind: 'event', event: { type: 'console', vm: 'B', text: { includes: 'Goodbye' } } },
        { kind: 'no-event', event: { type: 'console', vm: 'A' } },
        { kind: 'verdict', which: 'replay', ok: false },
        { kind: 'role', vm: 'B', role: 'live' },
        { kind: 'verdict', which: 'splitBrain', ok: true },
      ],
    };
    expect(p.unmet(wrong)).toEqual([
      'a vm/went-live event from B',
      'a console event from B with text containing "Goodbye"',
      'no console event from A',
      'the replay checker failing',
      'VM B live',
    ]);
    // The same step inside a chapter, played: the player reports it on that step.
    const broken: Chapter = { ...ch, id: 'broken', steps: ch.steps.map((s, i) => (i === 2 ? wrong : s)) };
    const q = new ChapterPlayer(broken, 2);
    q.completeAuto();
    expect(q.unmet()).toHaveLength(5);
  });
});

describe('what chapter 7 says of a stalled primary is what happens', () => {
  it('A stalls, runs only in short bursts as B frees slots, and runs on once B has caught up (at 209 ms)', () => {
    const p = new ChapterPlayer(chapter('channel'), 3);
    const w = p.session.world;
    const stalls: { t: number; stalled: boolean }[] = [];
    w.onTrace((e) => void (e.type === 'vm/stall' && e.vm === 'A' && stalls.push({ t: e.t, stalled: e.reason !== null })));
    p.completeAuto();
    const frees = stalls.filter((s) => !s.stalled).map((s) => Math.round(s.t));
    expect(frees).toEqual([124, 142, 158, 174, 188, 202, 209]);
    // Every burst but the last ends in a stall again, within a few ms.
    for (let i = 0; i < stalls.length - 1; i++) if (!stalls[i]!.stalled) expect(stalls[i + 1]!.stalled && stalls[i + 1]!.t - stalls[i]!.t < 7).toBe(true);
    expect(stalls.at(-1)!.stalled).toBe(false);
    expect(w.vms.get(vmNode('A'))?.role).toBe('primary');
  });
});
