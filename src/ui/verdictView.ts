// How a checker's verdict is shown. A checker with nothing to check says so ("not checked", grey),
// never ✔: the Output Requirement over zero completed client operations proves nothing.

export type VerdictTone = 'ok' | 'bad' | 'unknown' | 'not-checked';

export interface VerdictView {
  readonly tone: VerdictTone;
  readonly mark: string;
  readonly text: string;
}

/** A verdict as the checkers return it; `status` and the counts are read where the checker gives them. */
export interface VerdictLike {
  readonly ok: boolean | 'unknown' | 'not-checked';
  readonly message: string;
  readonly status?: string;
  readonly operations?: number;
}

/**
 * `completedOps`: client operations that completed with a reply (null when the verdict does not
 * rest on client operations, e.g. split brain).
 */
export function verdictView(v: VerdictLike, completedOps: number | null): VerdictView {
  const notChecked = v.status === 'not-checked' || v.ok === 'not-checked' || v.operations === 0 || (completedOps === 0 && v.ok === true);
  if (notChecked) return { tone: 'not-checked', mark: '–', text: v.status === 'not-checked' ? v.message : 'not checked (no completed operations)' };
  if (v.ok === true) return { tone: 'ok', mark: '✔', text: v.message };
  if (v.ok === 'unknown') return { tone: 'unknown', mark: '?', text: v.message };
  return { tone: 'bad', mark: '✖', text: v.message };
}

/** Completed client operations (a reply received), the ones the Output Requirement checker can check. */
export function completedOperations(ops: readonly { readonly status: string }[]): number {
  let n = 0;
  for (const o of ops) if (o.status === 'ok') n++;
  return n;
}
