// Beneath the stage: the checkers' verdicts in one line, the latest of what happened, the safety
// switches that are off, and the legend of message colours and letters.
import { VERDICT_NAMES } from '../../workers/pure';
import { useLab } from '../labStore';
import { ENTRY_COLOR, ENTRY_GLYPH } from './stageModel';

/** Times in a checker's message, rounded for a reader (t=182.22744176422617 → t=182.2). */
export function roundTimes(text: string): string {
  return text.replace(/\d+\.\d{2,}/g, (n) => Number(n).toFixed(1));
}

/** The checkers the stage always shows; any other joins them when it fails. */
const BRIEF: readonly { readonly key: 'outputRequirement' | 'splitBrain' | 'replay'; readonly label: string }[] = [
  { key: 'outputRequirement', label: 'Output Requirement' },
  { key: 'splitBrain', label: 'Split brain' },
  { key: 'replay', label: 'Replay' },
];

export function StageNews() {
  const v = useLab((s) => s.verdicts);
  const feed = useLab((s) => s.feed);
  const sw = useLab((s) => s.switches);
  const highlight = useLab((s) => s.tour?.highlight);
  const hl = (id: string): string => (highlight?.includes(id as never) ? ' hl' : '');
  const off = [!sw.outputRule && 'Output Rule OFF', !sw.testAndSet && 'test-and-set OFF', ...sw.unlogged.map((u) => `${u} NOT logged`)].filter(Boolean) as string[];
  const mark = (ok: boolean | 'unknown'): string => (ok === true ? '✔' : ok === 'unknown' ? '?' : '✖');
  const cls = (ok: boolean | 'unknown'): string => (ok === true ? 'ok' : ok === 'unknown' ? 'unknown' : 'bad');
  const failing = v ? VERDICT_NAMES.map((n) => ({ label: n.label, message: v[n.key].message, ok: v[n.key].ok })).find((x) => x.ok === false) : undefined;
  return (
    <div className="stage-news">
      <div className={`stage-checkers${hl('verdicts')}`} data-panel="verdicts" role="group" aria-label="Checkers, in brief">
        <strong>Checkers</strong>
        {v ? (
          <ul>
            {BRIEF.map(({ key, label }) => (
              <li key={key} className={cls(v[key].ok)} title={roundTimes(v[key].message)}>
                <span aria-hidden="true">{mark(v[key].ok)}</span> {label}
              </li>
            ))}
            {/* (the other checkers join the line only when they fail) */}
            {VERDICT_NAMES.filter((n) => !BRIEF.some((b) => b.key === n.key) && v[n.key].ok === false).map(({ key, label }) => (
              <li key={key} className="bad" title={roundTimes(v[key].message)}>
                <span aria-hidden="true">✖</span> {label}
              </li>
            ))}
          </ul>
        ) : (
          <span className="muted"> not checked yet</span>
        )}
        <span className={`stage-switches${hl('switches')}`} data-panel="switches">
          {off.length === 0 ? (
            <span className="safe">every safety mechanism on</span>
          ) : (
            off.map((o) => (
              <span key={o} className="unsafe">
                {o}
              </span>
            ))
          )}
        </span>
        {/* Why the first failing checker failed: last on the line, so a long reason never hides a mark. */}
        {failing && (
          <span className="why">
            {' '}
            — {failing.label}: {roundTimes(failing.message)}
          </span>
        )}
      </div>
      <div className={`stage-feed${hl('feed')}`} data-panel="feed" role="log" aria-label="What happened, latest">
        <strong>What happened</strong>
        {feed.length === 0 ? (
          <span className="muted"> nothing unusual yet</span>
        ) : (
          <ol>
            {feed.slice(-2).map((f, i) => (
              <li key={`${f.t}-${i}`} className={`tone-${f.tone}`}>
                <span className="t">{f.t.toFixed(1)} ms</span> {roundTimes(f.text)}
                {f.times && <span className="times"> (×{f.times})</span>}
              </li>
            ))}
          </ol>
        )}
      </div>
      <details className="stage-legend">
        <summary>Legend</summary>
        <ul>
          {Object.entries(ENTRY_GLYPH).map(([k, g]) => (
            <li key={k}>
              <span className="chip" style={{ background: ENTRY_COLOR[k as keyof typeof ENTRY_COLOR] }}>
                {g.glyph}
              </span>{' '}
              log entry: {g.name}
            </li>
          ))}
          <li>✓ ack · ♥ heartbeat · Q request · R reply · W disk write · D disk read · ? test-and-set · M MAC advertisement</li>
          <li>The ring on a VM counts down to its failure timeout: it refills whenever the VM hears its peer.</li>
        </ul>
      </details>
    </div>
  );
}
