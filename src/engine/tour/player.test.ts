import { describe, expect, it } from 'vitest';
import { chapterById } from './chapters';
import { ChapterPlayer } from './player';

describe('ChapterPlayer.restore (a shared moment of a tour)', () => {
  it('replays the learner\'s own actions to the shared instant and shows the step as done', () => {
    const ch = chapterById('failover')!;
    const p = new ChapterPlayer(ch);
    // The learner plays two steps, then does something the chapter never asked for.
    p.completeAuto();
    p.next();
    p.completeAuto();
    p.act({ kind: 'request', client: 1, text: 'PUT z 9' });
    p.session.runTo(p.session.now + 7);
    const r = ChapterPlayer.restore(ch, p.step, p.session.actions, p.session.now);
    expect(r.step).toBe(p.step);
    expect(r.phase).toBe('done');
    expect(r.session.now).toBe(p.session.now);
    expect(r.session.stateHashes()).toEqual(p.session.stateHashes());
    expect(r.session.actions).toEqual(p.session.actions);
    // Without the learner's extra request the state differs: the restore is not just a jump.
    const jumped = new ChapterPlayer(ch, p.step);
    jumped.advance();
    jumped.session.runTo(p.session.now);
    expect(jumped.session.actions.some((a) => a.kind === 'request')).toBe(false);
    expect(jumped.session.stateHashes()).not.toEqual(r.session.stateHashes());
  });
});

describe('ChapterPlayer: the asked action taken before the prediction', () => {
  it('is not asked for again: answering runs the step', () => {
    const ch = chapterById('failover')!;
    const k = ch.steps.findIndex((s) => s.predict && s.ask);
    expect(k).toBeGreaterThanOrEqual(0);
    const p = new ChapterPlayer(ch, k);
    expect(p.phase).toBe('predict');
    expect(p.act(ch.steps[k]!.ask!.action)).toBe(true);
    expect(p.phase).toBe('predict');
    p.answer(ch.steps[k]!.predict!.answer);
    expect(p.phase).toBe('run');
    p.advance();
    expect(p.phase).toBe('done');
    expect(p.unmet()).toEqual([]);
    expect(p.session.actions.filter((a) => a.kind === ch.steps[k]!.ask!.action.kind)).toHaveLength(1);
  });
});
