import { describe, expect, it } from 'vitest';
import { CHAPTERS, describeExpectation } from '../workers/pure';
import { learnerText } from './expectText';

describe('what you should see, in a learner’s words', () => {
  it('says who won test-and-set, not the event text the harness matches', () => {
    expect(learnerText({ kind: 'event', event: { type: 'tas/won', vm: 'B' } })).toBe('B won test-and-set');
    expect(learnerText({ kind: 'event', event: { type: 'storage/tas', holder: 'B' } })).toBe('the test-and-set word now names B');
    expect(learnerText({ kind: 'event', event: { type: 'vm/went-live', vm: 'B', receivedSeq: 26, consumedSeq: 26 } })).toBe('B went live after replaying every entry up to #26');
    expect(learnerText({ kind: 'event', event: { type: 'fault', kind: 'kill-primary', detail: 'killed A' } })).toBe('A was killed');
    expect(learnerText({ kind: 'event', event: { type: 'console', vm: 'B', text: { includes: 'Goodbye' } } })).toBe('B printed “Goodbye”');
    expect(learnerText({ kind: 'event', event: { type: 'tas/won', vm: { oneOf: ['B', 'C'] } } })).toBe('B or C won test-and-set');
    expect(learnerText({ kind: 'verdict', which: 'splitBrain', ok: true })).toBe('the Split brain checker passes ✔');
  });

  it('never shows an event type, a JSON fragment or a quote mark from the trace for any chapter', () => {
    for (const ch of CHAPTERS)
      for (const st of ch.steps)
        for (const e of st.expect ?? []) {
          const t = learnerText(e);
          expect(t, `${ch.id}: ${describeExpectation(e)}`).not.toMatch(/"|[a-z]+\/[a-z-]+ event|\{|\}/);
          expect(t.length).toBeGreaterThan(5);
        }
  });
});
