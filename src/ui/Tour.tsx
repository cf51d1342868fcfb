// The guided tour: chapters of narration steps played on the deterministic simulator. Back,
// Next and a step list to jump anywhere (a jump replays the chapter to that step: the same state
// every time). A step may ask for a prediction, or wait for the learner to act while the panel
// that matters is highlighted. Presenter mode adds large type, focus and an auto-pilot.
import { Fragment, useEffect, useRef, useState, type ReactNode } from 'react';
import type { Chapter, PanelId, Step } from '../engine/tour/types';
import { CHAPTERS, chapterById, describeExpectation } from '../workers/pure';
import { learnerText } from './expectText';
import { currentSim, endTour, startTour, useLab, type TourState } from './labStore';

const DONE_KEY = 'lockstep.tour.done';

/** Chapters played to their last step, remembered in this browser (a student's progress). */
export function chaptersDone(): Set<string> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(DONE_KEY) ?? '[]');
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

function markDone(id: string): void {
  const done = chaptersDone();
  if (done.has(id)) return;
  done.add(id);
  try {
    localStorage.setItem(DONE_KEY, JSON.stringify([...done]));
  } catch {
    // Storage may be unavailable (private mode): progress is simply not remembered.
  }
}

/** Start chapter `id` at step `step` (replayed from the chapter's start, as written). */
export function openChapter(id: string, step = 0): boolean {
  const ch = chapterById(id);
  if (!ch) return false;
  const at = Math.max(0, Math.min(step, ch.steps.length - 1));
  startTour(ch.id, at);
  history.replaceState(null, '', `#tour=${ch.id}/${at + 1}`);
  return true;
}

export function leaveTour(): void {
  history.replaceState(null, '', location.pathname + location.search);
  endTour();
}

/** Next keeps the session going (whatever else the learner did stays); Back and jumps replay. */
function nextStep(): void {
  const sim = currentSim();
  if (!sim) return;
  void sim.nextStep().then((moved) => {
    const t = sim.state.tour;
    if (moved && t && currentSim() === sim) history.replaceState(null, '', `#tour=${t.chapterId}/${t.step + 1}`);
  });
}

/** Keyboard (and presenter clickers, which send PageDown/PageUp): the next or the previous step. */
export function tourStep(delta: 1 | -1): boolean {
  const t = useLab.getState().tour;
  if (!t) return false;
  if (delta === 1) {
    if (t.phase === 'predict') return true; // a prediction comes first
    if (t.isLast) {
      const i = CHAPTERS.findIndex((c) => c.id === t.chapterId);
      const next = CHAPTERS[i + 1];
      if (next) openChapter(next.id);
    } else nextStep();
  } else if (t.step > 0) openChapter(t.chapterId, t.step - 1);
  return true;
}

/** Narration text: blank lines split paragraphs; `code`, **strong** and *emphasis* inline. */
export function Narration({ text }: { text: string }) {
  return (
    <>
      {text.split(/\n\s*\n/).map((para, i) => (
        <p key={i}>
          <Inline text={para} />
        </p>
      ))}
    </>
  );
}

/** A line of narration: `code`, **strong** and *emphasis* drawn, not shown as marks. */
export function Inline({ text }: { text: string }) {
  return (
    <>
      {text.split(/(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/).map((part, j) =>
        part.startsWith('`') ? (
          <code key={j}>{part.slice(1, -1)}</code>
        ) : part.startsWith('**') ? (
          <strong key={j}>{part.slice(2, -2)}</strong>
        ) : part.startsWith('*') && part.length > 2 ? (
          <em key={j}>{part.slice(1, -1)}</em>
        ) : (
          <Fragment key={j}>{part}</Fragment>
        ),
      )}
    </>
  );
}

/**
 * Outline the panels that matter: the tour step's, or the one presenter mode focuses on. A
 * generated style rule, immune to re-renders; in presenter mode the other panels lose their colour
 * (not their contrast: they must stay readable).
 */
export function HighlightStyle() {
  const tourIds = useLab((s) => s.tour?.highlight);
  const focus = useLab((s) => (s.presenter ? s.focusPanel : null));
  const ids = tourIds && tourIds.length > 0 ? tourIds : focus ? [focus] : [];
  if (ids.length === 0) return null;
  const sel = ids.map((id) => `[data-panel~="${id}"]`).join(', ');
  const dim = ids.map((id) => `:not([data-panel~="${id}"])`).join('');
  return (
    <style>{`${sel} { outline: 3px solid var(--highlight); outline-offset: 2px; box-shadow: 0 0 0 6px var(--highlight-soft); }
body.presenter main .vms > [data-panel]${dim}, body.presenter main .lower > [data-panel]${dim}, body.presenter main .viz > [data-panel]${dim}, body.presenter main .lower2 > [data-panel]${dim} { filter: grayscale(1); }`}</style>
  );
}

/** Presenter mode's focus: one panel outlined and brought into view, the rest dimmed. */
export const FOCUSABLE: readonly { id: PanelId; label: string }[] = [
  { id: 'vm-primary', label: 'the primary VM' },
  { id: 'vm-backup', label: 'the backup VM' },
  { id: 'client', label: 'the client' },
  { id: 'verdicts', label: 'the checkers' },
  { id: 'feed', label: 'what happened' },
  { id: 'channel-view', label: 'the logging channel, live' },
  { id: 'timeline', label: 'the timeline and metrics' },
  { id: 'channel-stats', label: 'channel statistics' },
];

export function FocusPicker() {
  const presenter = useLab((s) => s.presenter);
  const focus = useLab((s) => s.focusPanel);
  const touring = useLab((s) => s.tour !== null);
  // In the tour, each step says what to focus on.
  if (!presenter || touring) return null;
  return (
    <label className="focus-picker">
      Focus on{' '}
      <select
        aria-label="Focus on a panel"
        value={focus ?? ''}
        onChange={(e) => {
          const id = (e.target.value || null) as PanelId | null;
          useLab.setState({ focusPanel: id });
          if (id) (document.querySelector(`.stage [data-panel~="${id}"]`) ?? document.querySelector(`[data-panel~="${id}"]`))?.scrollIntoView({ block: 'center' });
        }}
      >
        <option value="">every panel</option>
        {FOCUSABLE.map((f) => (
          <option key={f.id} value={f.id}>
            {f.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The chapter picker. */
export function ChapterList({ onPick, onClose }: { onPick: (id: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [done] = useState(chaptersDone);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} className="chapter-list" aria-label="Guided tour: chapters" onClose={onClose}>
      <button className="close" aria-label="Close" onClick={() => ref.current?.close()}>
        ×
      </button>
      <h2>Guided tour</h2>
      <p className="hint">Ten short chapters, one mechanism of VMware FT each. Every step can be replayed; jump to any step from the list.</p>
      <ol>
        {CHAPTERS.map((c, i) => (
          <li key={c.id}>
            <button onClick={() => onPick(c.id)} data-chapter={c.id}>
              <strong>
                {i + 1}. {c.title}
                {done.has(c.id) && (
                  <span className="done" title="You have played this chapter to its end">
                    {' '}
                    ✔ done
                  </span>
                )}
              </strong>
              <span>{c.summary}</span>
            </button>
          </li>
        ))}
      </ol>
      <button onClick={() => ref.current?.close()}>Close</button>
    </dialog>
  );
}

function Prediction({ step, choice, done }: { step: Step; choice: number | null; done: boolean }) {
  const p = step.predict;
  if (!p) return null;
  const answered = choice !== null;
  return (
    <div className="tour-predict" role="group" aria-label="Your prediction">
      <p className="q">
        <strong>Predict:</strong> <Inline text={p.question} />
      </p>
      <div className="choices">
        {p.choices.map((c, i) => (
          <button
            key={i}
            disabled={answered}
            aria-pressed={choice === i}
            className={answered && done ? (i === p.answer ? 'right' : choice === i ? 'wrong' : '') : choice === i ? 'chosen' : ''}
            onClick={() => void currentSim()?.answer(i)}
          >
            <Inline text={c} />
          </button>
        ))}
      </div>
      {!answered && <p className="hint">Choose an answer: the step runs once you have.</p>}
      {answered && done && (
        <p className={`verdict ${choice === p.answer ? 'right' : 'wrong'}`} role="status">
          {choice === p.answer ? '✔ Right. ' : `✖ Not quite: the answer is “${p.choices[p.answer]}”. `}
          <Inline text={p.explain} />
        </p>
      )}
    </div>
  );
}

function Expectations({ step, tour }: { step: Step; tour: TourState }) {
  const list = step.expect ?? [];
  if (list.length === 0) return null;
  const unmet = new Set(tour.unmet ?? []);
  return (
    <div className="tour-expect">
      <span className="caption">what you should see</span>
      <ul>
        {list.map((e, i) => {
          const d = describeExpectation(e);
          const ok = !unmet.has(d);
          return (
            <li key={i} className={ok ? 'ok' : 'bad'} data-testid="tour-expect">
              <span aria-hidden="true">{ok ? '✔' : '✖'}</span> {learnerText(e)}
              {!ok && <span className="sr-only"> (not seen)</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** Auto-pilot: plays the chapter on its own, with timed captions (for a projector or a recording). */
function useAutopilot(on: boolean, setOn: (v: boolean) => void): void {
  const tour = useLab((s) => s.tour);
  useEffect(() => {
    if (!on || !tour) return;
    const step = chapterById(tour.chapterId)?.steps[tour.step];
    if (!step) return;
    const words = step.text.split(/\s+/).length;
    const readMs = Math.min(14_000, Math.max(3_500, words * 260));
    let t: ReturnType<typeof setTimeout> | null = null;
    if (tour.phase === 'predict' && step.predict) {
      const answer = step.predict.answer;
      t = setTimeout(() => void currentSim()?.answer(answer), readMs);
    } else if (tour.phase === 'ask' && step.ask) {
      const action = step.ask.action;
      t = setTimeout(() => void currentSim()?.act(action), Math.min(readMs, 4_000));
    } else if (tour.phase === 'done') {
      t = setTimeout(() => {
        if (tour.isLast) setOn(false);
        else nextStep();
      }, readMs);
    }
    return () => {
      if (t !== null) clearTimeout(t);
    };
  }, [on, tour, setOn]);
}

export function TourPanel() {
  const tour = useLab((s) => s.tour);
  const presenter = useLab((s) => s.presenter);
  const now = useLab((s) => s.virtualNow);
  const [auto, setAuto] = useState(false);
  useAutopilot(auto, setAuto);
  const ch: Chapter | undefined = tour ? chapterById(tour.chapterId) : undefined;
  useEffect(() => {
    document.body.classList.toggle('touring', tour !== null);
    return () => document.body.classList.remove('touring');
  }, [tour]);
  // Bring the first panel the step points at into view (at a projector, nobody scrolls).
  const where = tour ? `${tour.chapterId}/${tour.step}` : null;
  const firstPanel = tour?.highlight[0];
  useEffect(() => {
    if (!where || !firstPanel) return;
    // The stage's element first: the detail panels below it are drill-downs.
    const el = document.querySelector(`.stage [data-panel~="${firstPanel}"], .controls [data-panel~="${firstPanel}"]`) ?? document.querySelector(`[data-panel~="${firstPanel}"]`);
    if (!el) return;
    // On the stage: bring the whole stage into view (it is made to fit one screen), so the step's
    // other subjects on it are shown too, whatever its layout while it first renders.
    const stage = el.closest('.stage');
    if (stage) {
      // The least scroll that shows it whole, never past its top. Measured once the stage has
      // fitted itself to the page the tour panel leaves it (two frames on: the panel opening
      // narrows the page, and the stage refits after it), or the page stays scrolled by the
      // difference with the header out of view.
      let f = requestAnimationFrame(() => {
        f = requestAnimationFrame(() => {
          const r = stage.getBoundingClientRect();
          const by = r.top < 0 ? r.top : Math.min(r.top, Math.max(0, r.bottom - window.innerHeight));
          if (Math.abs(by) > 1) window.scrollBy({ top: by });
        });
      });
      return () => cancelAnimationFrame(f);
    }
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) {
      const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      el.scrollIntoView({ block: r.height > window.innerHeight ? 'start' : 'center', behavior: smooth ? 'smooth' : 'auto' });
    }
  }, [where, firstPanel]);
  // A prediction's choices in view (the panel scrolls: a long narration can push them below its fold).
  const predicting = tour?.phase === 'predict' ? where : null;
  useEffect(() => {
    if (!predicting) return;
    const choices = document.querySelector('.tour .tour-predict');
    const panel = choices?.closest('.tour');
    if (!choices || !panel) return;
    const r = choices.getBoundingClientRect();
    const p = panel.getBoundingClientRect();
    // (the panel's buttons stick to its bottom, over what scrolls beneath them)
    const nav = panel.querySelector('.tour-nav')?.getBoundingClientRect().top ?? Infinity;
    const bottom = Math.min(p.bottom, window.innerHeight, nav) - 8;
    // The least scroll of the panel that shows the question and its choices (never past the panel's top).
    if (r.bottom > bottom) panel.scrollBy({ top: Math.min(r.bottom - bottom, Math.max(0, r.top - p.top)) });
  }, [predicting]);
  // A chapter opened (from the chapter list, or the next chapter): keyboard focus goes to its
  // title, not back to the page's top, unless the learner is already in the panel.
  const title = useRef<HTMLHeadingElement>(null);
  const chapterId = tour?.chapterId ?? null;
  useEffect(() => {
    const h = title.current;
    if (!chapterId || !h) return;
    const active = document.activeElement;
    if (!active || active === document.body || !active.closest('.tour')) h.focus({ preventScroll: true });
  }, [chapterId]);
  const finished = tour !== null && tour.isLast && tour.phase === 'done' ? tour.chapterId : null;
  useEffect(() => {
    if (finished) markDone(finished);
  }, [finished]);
  if (!tour || !ch) return null;
  const step = ch.steps[tour.step]!;
  const index = CHAPTERS.findIndex((c) => c.id === ch.id);
  const nextChapter = CHAPTERS[index + 1];
  const go = (k: number) => {
    setAuto(false);
    openChapter(ch.id, k);
  };
  let status: ReactNode = null;
  if (tour.phase === 'ask' && step.ask)
    status = (
      <div className="tour-ask" role="status">
        <strong>Your turn:</strong> <Inline text={step.ask.prompt} />
        <button
          className="link"
          onClick={() => void currentSim()?.act(step.ask!.action)}
        >
          do it for me
        </button>
      </div>
    );
  else if (tour.phase === 'run')
    status = (
      <div className="tour-run" role="status">
        <span className="spinner" aria-hidden="true" /> Running… {now.toFixed(2)} ms
        <button
          className="link"
          onClick={() => void currentSim()?.skipStep()}
        >
          skip to the end of this step
        </button>
      </div>
    );
  return (
    <aside className="tour" aria-label="Guided tour" data-phase={tour.phase}>
      <header>
        <span className="caption">
          Chapter {index + 1} of {CHAPTERS.length}
        </span>
        <h2 ref={title} tabIndex={-1}>
          {ch.title}
        </h2>
        <button className="close" aria-label="Leave the tour" onClick={leaveTour}>
          ×
        </button>
      </header>
      <ol className="tour-steps" aria-label="Steps">
        {ch.steps.map((s, i) => (
          <li key={i}>
            <button aria-current={i === tour.step ? 'step' : undefined} className={i < tour.step ? 'past' : undefined} onClick={() => go(i)}>
              {i + 1}. {s.title}
            </button>
          </li>
        ))}
      </ol>
      <section className="tour-step" aria-live="polite">
        <h3>
          Step {tour.step + 1} of {ch.steps.length}: {step.title}
        </h3>
        <Narration text={step.text} />
        <Prediction step={step} choice={tour.choice} done={tour.phase === 'done'} />
        {status}
        {tour.phase === 'done' && <Expectations step={step} tour={tour} />}
      </section>
      <nav className="tour-nav">
        <button onClick={() => go(tour.step - 1)} disabled={tour.step === 0}>
          ← Back
        </button>
        {tour.isLast ? (
          nextChapter ? (
            <button className="primary" onClick={() => (setAuto(false), openChapter(nextChapter.id))}>
              Next chapter →
            </button>
          ) : (
            <button className="primary" onClick={leaveTour}>
              Finish the tour
            </button>
          )
        ) : (
          <button className="primary" onClick={() => nextStep()} disabled={tour.phase === 'predict'} title={tour.phase === 'predict' ? 'Make a prediction first' : undefined}>
            Next →
          </button>
        )}
        <button aria-pressed={auto} onClick={() => setAuto(!auto)} title="Play the chapter on its own, with timed captions">
          {auto ? '■ Stop auto-play' : '▶ Auto-play'}
        </button>
      </nav>
      {presenter && auto && (
        <div className="caption-bar" aria-hidden="true">
          <strong>{step.title}</strong> <Inline text={step.predict && tour.phase === 'predict' ? step.predict.question : (step.text.split(/\n\s*\n/)[0] ?? '')} />
        </div>
      )}
    </aside>
  );
}
