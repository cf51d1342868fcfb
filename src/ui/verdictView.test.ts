import { describe, expect, it } from 'vitest';
import { completedOperations, verdictView } from './verdictView';

describe('verdictView', () => {
  it('a holding verdict over zero completed operations is "not checked", never ✔', () => {
    const v = verdictView({ ok: true, message: 'Output Requirement holds: 0 client operations fit one sequential execution' }, 0);
    expect(v.tone).toBe('not-checked');
    expect(v.mark).not.toBe('✔');
    expect(v.text).toBe('not checked (no completed operations)');
  });
  it('the checkers\' own not-checked status, or an operation count of zero, is shown as not checked', () => {
    expect(verdictView({ ok: true, status: 'not-checked', message: 'x' }, 5).tone).toBe('not-checked');
    expect(verdictView({ ok: 'not-checked', message: 'x' }, 5).tone).toBe('not-checked');
    expect(verdictView({ ok: true, operations: 0, message: 'x' }, 5).tone).toBe('not-checked');
  });
  it('a holding verdict with completed operations is ✔; a violation is ✖ even with none', () => {
    expect(verdictView({ ok: true, message: 'holds' }, 12)).toEqual({ tone: 'ok', mark: '✔', text: 'holds' });
    expect(verdictView({ ok: false, message: 'VIOLATED' }, 0).tone).toBe('bad');
    expect(verdictView({ ok: 'unknown', message: 'too big' }, 3).tone).toBe('unknown');
    expect(verdictView({ ok: true, message: 'no split brain' }, null).tone).toBe('ok');
  });
  it('counts only operations that completed with a reply', () => {
    expect(completedOperations([{ status: 'ok' }, { status: 'info' }, { status: 'pending' }, { status: 'ok' }])).toBe(2);
  });
});
