import { describe, expect, it } from 'vitest';
import { chapterById } from './chapters';
import type { TraceEvent } from '../ft/trace';
import { ChapterPlayer, describeExpectation, matchesEvent } from './player';
import { asNodeId as nid } from '../ft/messages';

describe('event patterns (a step expectation matched on fields)', () => {
  const lost: TraceEvent = { type: 'tas/lost', vm: nid('A'), holder: nid('B'), t: 101.4 };
  const line: TraceEvent = { type: 'console', vm: nid('B'), text: 'lease chunk42 expired (was c1)\n', suppressed: true, t: 80 };
  const throttle: TraceEvent = { type: 'vm/throttle', vm: nid('A'), cpu: 0.6999999999999997, lagMs: 42.5, t: 110 };

  it('match on the type and every field named, by equality', () => {
    expect(matchesEvent(lost, { type: 'tas/lost' })).toBe(true);
    expect(matchesEvent(lost, { type: 'tas/lost', vm: 'A', holder: 'B' })).toBe(true);
    expect(matchesEvent(lost, { type: 'tas/lost', holder: 'C' })).toBe(false);
    expect(matchesEvent(lost, { type: 'tas/won', vm: 'A' })).toBe(false);
    expect(matchesEvent(lost, { type: 'tas/lost', holder: null })).toBe(false);
    // A fragment of the JSON is no longer enough: `"holder":"B"` is a field, not text.
    expect(matchesEvent(line, { type: 'console', text: 'lease chunk42 expired' })).toBe(false);
  });

  it('take oneOf, includes (text) and near (a number summed in steps)', () => {
    expect(matchesEvent(lost, { type: 'tas/lost', holder: { oneOf: ['B', 'C'] } })).toBe(true);
    expect(matchesEvent(lost, { type: 'tas/lost', holder: { oneOf: ['C', null] } })).toBe(false);
    expect(matchesEvent(line, { type: 'console', text: { includes: 'expired (was c1)' } })).toBe(true);
    expect(matchesEvent(line, { type: 'console', text: { includes: 'expired (was c2)' } })).toBe(false);
    expect(matchesEvent(throttle, { type: 'vm/throttle', cpu: 0.7 })).toBe(false);
    expect(matchesEvent(throttle, { type: 'vm/throttle', cpu: { near: 0.7 } })).toBe(true);
    // The old text match found "cpu":0.6 inside 0.6999999999999997: near does not.
    expect(matchesEvent(throttle, { type: 'vm/throttle', cpu: { near: 0.6 } })).toBe(false);
  });

  it('are described in the harness words', () => {
    expect(describeExpectation({ kind: 'event', event: { type: 'tas/lost', vm: 'A', holder: 'B' } })).toBe('a tas/lost event from A with holder "B"');
    expect(describeExpectation({ kind: 'no-event', event: { type: 'vm/throttle', cpu: { near: 0.7 }, lagMs: { oneOf: [1, 2] } } })).toBe('no vm/throttle event with cpu near 0.7, lagMs one of 1, 2');
  });
});

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
