// Teaching switches: each turns off one safety mechanism so its checker can be seen failing.
import type { NondetSource } from '../engine/ft/hypervisor';
import { labActions, useLab } from './labStore';

const SOURCES: { id: NondetSource; label: string; why: string }[] = [
  { id: 'timer', label: 'timer interrupts', why: 'the backup takes its own ticks at other instructions (lease-server diverges)' },
  { id: 'clock', label: 'clock reads', why: 'the backup reads its own clock (ticker diverges)' },
  { id: 'random', label: 'random numbers', why: 'the backup draws its own random numbers (ticker diverges)' },
  { id: 'packet-timing', label: 'packet timing', why: 'the backup delivers packets whenever it can, not at the logged instruction' },
];

export function Switches() {
  const sw = useLab((s) => s.switches);
  return (
    <section className="panel switches" aria-label="Teaching switches" data-panel="switches">
      <h2>Teaching switches</h2>
      <p className="hint">Each change restarts the run. Turn a mechanism off, break something, and watch its checker fail.</p>
      <label>
        <input type="checkbox" checked={sw.outputRule} onChange={(e) => labActions.setSwitches({ outputRule: e.target.checked })} /> Output Rule
        <span className="hint"> — hold each output until the backup acknowledges its entry</span>
      </label>
      {!sw.outputRule && (
        <p className="hint" data-testid="output-rule-off-hint">
          Off: replies leave before the backup has their log entries. Harm shows only if the primary dies inside that gap, which on a
          fast channel lasts a fraction of a millisecond, so a kill at a random moment seldom hits it. A slower logging channel (click
          it: Bandwidth) widens the gap; chapter 4 of the tour kills the primary inside it and shows the harm step by step.
        </p>
      )}
      <label>
        <input type="checkbox" checked={sw.testAndSet} onChange={(e) => labActions.setSwitches({ testAndSet: e.target.checked })} /> Test-and-set
        <span className="hint"> — only one VM may go on alone</span>
      </label>
      <fieldset>
        <legend>Logged non-determinism</legend>
        {SOURCES.map((src) => (
          <label key={src.id} title={`Unlogged: ${src.why}`}>
            <input
              type="checkbox"
              checked={!sw.unlogged.includes(src.id)}
              onChange={(e) =>
                labActions.setSwitches({ unlogged: e.target.checked ? sw.unlogged.filter((u) => u !== src.id) : [...sw.unlogged, src.id] })
              }
            />{' '}
            {src.label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}
