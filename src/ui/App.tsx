// Lockstep: a primary and a backup VM in two Web Workers, a logging channel between them,
// clients, shared storage — and buttons to break it all.
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { HUMAN_SPEED } from './stage/stageModel';
import type { ProgramName } from '../engine/programs/index';
import { PROGRAM_NAMES } from '../workers/pure';
import { ClientTerminal } from './ClientTerminal';
import { Editor } from './Editor';
import { HelpOverlay, useShortcuts } from './Help';
import { SPEEDS } from './speeds';
import { Switches } from './Switches';
import { currentLab, faultLab, labActions, restartLab, startLab, useLab, type Runtime } from './labStore';
import { ReplaceDialog, openLocation } from './frontDoor';
import { RecordingBar } from './RecordingBar';
import { ChapterList, FocusPicker, HighlightStyle, TourPanel, openChapter } from './Tour';
import { verdictView, type VerdictLike } from './verdictView';
import { VmList } from './VmList';
import { Stage } from './stage/Stage';
import { faultAvailability } from './stage/StageMenu';
import { roundTimes } from './stage/StageNews';
import { VizPanels } from './viz/VizPanels';

const speedLabel = (s: number): string => (s >= 1 ? `${s}×` : `1/${Math.round(1 / s)}×`);
/** The Program menu's entry while a program from the editor runs. */
const EDITED = '(editor)';

function Controls({ onHelp }: { onHelp: () => void }) {
  const running = useLab((s) => s.running);
  const program = useLab((s) => s.program);
  const edited = useLab((s) => s.customSource !== null);
  const speed = useLab((s) => s.speed);
  const slowMotion = useLab((s) => s.slowMotion);
  const workload = useLab((s) => s.workload);
  const rate = useLab((s) => s.workloadRate);
  const runtime = useLab((s) => s.runtime);
  const tour = useLab((s) => s.tour !== null);
  // In the tour, Pause and Resume work only while a step runs (it stops at its own end).
  const clockFree = useLab((s) => s.tour === null || s.tour.phase === 'run');
  // (only what the buttons need: the VMs' figures change every frame, and the toolbar need not)
  const can = useLab(useShallow((s) => faultAvailability(s.vms)));
  const lab = currentLab;
  return (
    <div className="controls" role="toolbar" aria-label="Controls" data-panel="controls">
      <label title="Web Workers: each VM in its own thread, as in the real thing. Simulator: the same engine on one thread, deterministic — every session is recorded and can be sought, exported and shared.">
        Runtime{' '}
        <select aria-label="Runtime" value={runtime} disabled={tour} onChange={(e) => labActions.setRuntime(e.target.value as Runtime)}>
          <option value="workers">Web Workers (live)</option>
          <option value="simulator">Simulator (recordable)</option>
        </select>
      </label>
      <label>
        Program{' '}
        <select aria-label="Program" value={edited ? EDITED : program} onChange={(e) => startLab(e.target.value as ProgramName)}>
          {edited && (
            <option value={EDITED} disabled>
              your program (editor)
            </option>
          )}
          {PROGRAM_NAMES.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      {running ? (
        <button onClick={labActions.pause} disabled={!clockFree} title={clockFree ? undefined : 'In the tour the clock belongs to the step: Next runs it'}>
          Pause
        </button>
      ) : (
        <button onClick={labActions.resume} disabled={!clockFree} title={clockFree ? (tour ? 'Go on with this step (it stops at its own end)' : undefined) : 'In the tour the clock belongs to the step: Next runs it'}>
          Resume
        </button>
      )}
      <button onClick={labActions.step} disabled={tour} title={tour ? 'In the tour the clock belongs to the step: Next runs it' : undefined}>
        Step
      </button>
      <label className="speed">
        Speed{' '}
        <input
          type="range"
          aria-label="Speed"
          min={0}
          max={SPEEDS.length - 1}
          step={1}
          value={Math.max(0, SPEEDS.indexOf(speed))}
          onChange={(e) => labActions.setSpeed(SPEEDS[Number(e.target.value)]!)}
        />{' '}
        <output>{speedLabel(speed)}</output>
      </label>
      <label className="slowmo" title="Slow down to human pace when a fault, failure detection, test-and-set or go-live happens, then return to this speed">
        <input type="checkbox" checked={slowMotion} onChange={(e) => labActions.setSlowMotion(e.target.checked)} /> slow motion
      </label>

      <span className="sep" />
      <button onClick={startOver} title="Start this program again from the beginning (in the tour: this step again)">
        ↺ Start over
      </button>
      <span className="sep" />
      <span className="faults" role="group" aria-label="Faults" data-panel="faults">
        <button className="danger" disabled={!can.primary} onClick={() => faultLab('you killed the primary')?.kill('primary')}>
          Kill primary
        </button>
        <button className="danger" disabled={!can.backup} onClick={() => faultLab('you killed the backup')?.kill('backup')}>
          Kill backup
        </button>
        <button disabled={!can.primary} onClick={() => faultLab('you powered off the primary')?.powerOffPrimary()}>
          Power off primary
        </button>
        <button disabled={!can.pair} onClick={() => faultLab('you cut the logging channel')?.cutChannel('both')}>
          Cut logging channel
        </button>
        <button onClick={() => lab()?.heal()}>Heal</button>
        <button disabled={!can.live} title={can.live ? undefined : 'Only after a failover, when a live VM runs alone'} onClick={() => faultLab('you restarted a backup')?.restartBackup()}>
          Restart backup
        </button>
      </span>
      <button onClick={onHelp} aria-label="Help and keyboard shortcuts">
        ?
      </button>
      <label>
        Automatic clients{' '}
        <select aria-label="Automatic clients" value={workload} onChange={(e) => labActions.setWorkload(Number(e.target.value))}>
          {[0, 1, 3, 8].map((n) => (
            <option key={n} value={n}>
              {n === 0 ? 'off' : n}
            </option>
          ))}
        </select>
      </label>
      <label>
        at{' '}
        <select aria-label="Requests per second per client" value={rate} onChange={(e) => labActions.setWorkload(workload, Number(e.target.value))}>
          {[5, 20, 50, 200].map((n) => (
            <option key={n} value={n}>
              {n}/s
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** Start over: the same program afresh, or in the tour the current step from its start. */
function startOver(): void {
  const s = useLab.getState();
  if (s.tour) {
    openChapter(s.tour.chapterId, s.tour.step);
    return;
  }
  restartLab();
}

function Channel() {
  const ch = useLab((s) => s.channel);
  const mac = useLab((s) => s.macOwner);
  const tas = useLab((s) => s.tasHolder);
  const disk = useLab((s) => s.diskBlocks);
  return (
    <section className="panel channel" aria-label="Logging channel" data-panel="channel-stats">
      <h2>Logging channel</h2>
      <dl>
        <dt>entries sent</dt>
        <dd data-testid="entries-sent">{ch.entries}</dd>
        <dt>bytes</dt>
        <dd>{ch.bytes.toLocaleString('en-US')}</dd>
        <dt>acks</dt>
        <dd>{ch.acks}</dd>
        <dt>heartbeats</dt>
        <dd>{ch.heartbeats}</dd>
      </dl>
      <h2>Network and storage</h2>
      <dl>
        <dt>service MAC at</dt>
        <dd data-testid="mac-owner">{mac ?? '—'}</dd>
        <dt>test-and-set</dt>
        <dd data-testid="tas-holder">{tas ?? 'clear'}</dd>
        <dt>disk blocks written</dt>
        <dd>{disk}</dd>
      </dl>
      <label className="mem-addr">
        memory window at{' '}
        <input
          aria-label="Memory address"
          defaultValue="0x0000"
          onChange={(e) => {
            const v = Number.parseInt(e.target.value.replace(/^0x/i, ''), 16);
            if (Number.isFinite(v) && v >= 0 && v < 0x10000) useLab.setState({ memAddr: v & ~15 });
          }}
        />
      </label>
    </section>
  );
}

function Verdicts() {
  const v = useLab((s) => s.verdicts);
  const completed = useLab((s) => s.completedOps);
  if (!v) return null;
  const row = (name: string, verdict: VerdictLike, ops: number | null, id: string) => {
    const view = verdictView(verdict, ops);
    return (
      <li className={view.tone} data-testid={id} data-tone={view.tone}>
        <span aria-hidden="true">{view.mark}</span> <strong>{name}:</strong> {roundTimes(view.text)}
      </li>
    );
  };
  return (
    <section className="panel verdicts" aria-label="Checkers" data-panel="verdicts">
      <h2>Checkers</h2>
      <ul>
        {row('Output Requirement', v.outputRequirement, completed, 'verdict-or')}
        {row('Split brain', v.splitBrain, null, 'verdict-sb')}
        {row('Replay', v.replay, null, 'verdict-replay')}
        {row('Durability', v.durability, null, 'verdict-durability')}
        {row('Power-off', v.powerOff, null, 'verdict-power-off')}
        {row('Guest clock', v.clock, null, 'verdict-clock')}
        {row('Replies', v.replies, null, 'verdict-replies')}
        {row('Liveness', v.liveness, null, 'verdict-liveness')}
      </ul>
    </section>
  );
}

function ClientPanel() {
  const lines = useLab((s) => s.client);
  return (
    <section className="panel client" aria-label="Client" data-panel="client">
      <h2>Client</h2>
      <ClientTerminal />
      <details className="client-history">
        <summary>requests and replies ({lines.length})</summary>
        <ul className="client-log">
          {lines.map((l, i) => (
            <li key={i} className={l.dir}>
              {l.dir === 'req' ? '→' : l.dir === 'rep' ? '←' : '⌛'} #{l.reqId} {l.text}
              {l.from && <span className="from"> from VM {l.from}</span>}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function Feed() {
  const feed = useLab((s) => s.feed);
  const folded = useLab((s) => s.traceFolded);
  return (
    <section className="panel feed" aria-label="What happened" data-panel="feed">
      <h2>What happened</h2>
      {feed.length === 0 && <p className="hint">Nothing unusual yet. Faults, suspicions, test-and-set and go-live will be told here.</p>}
      {folded > 0 && (
        <p className="hint" title="A flood of routine events (log entries, outputs, messages) is drawn as a sample; faults, roles, test-and-set and go-live always are. The checkers, recordings and share links see every event.">
          <output data-testid="trace-folded">{folded.toLocaleString('en-US')}</output> routine events not shown (a sample of the flood is)
        </p>
      )}
      <ol aria-live="polite">
        {feed.slice(-12).map((f, i) => (
          <li key={i} className={`tone-${f.tone}`}>
            <span className="t">{f.t.toFixed(1)} ms</span> {f.text}
            {f.times && <span className="times"> (×{f.times})</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Notice() {
  const notice = useLab((s) => s.notice);
  if (!notice) return null;
  return (
    <div className={`notice tone-${notice.tone}`} role={notice.tone === 'bad' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button className="link" aria-label="Dismiss" onClick={() => useLab.setState({ notice: null })}>
        ×
      </button>
    </div>
  );
}

/** The speed a page opens at: `?speed=` (tests and benchmarks ask for full speed), else human pace. */
function initialSpeed(): number {
  const q = Number(new URLSearchParams(location.search).get('speed'));
  return Number.isFinite(q) && q > 0 ? q : HUMAN_SPEED;
}

/** Slow motion is on unless the address asks for a speed (tests, benchmarks): `?slowmo=1|0` says so outright. */
function initialSlowMotion(): boolean {
  const q = new URLSearchParams(location.search);
  const s = q.get('slowmo');
  return s !== null ? s !== '0' : q.get('speed') === null;
}

/** The VM panels, following the VMs' figures every frame (the rest of the page does not re-render for them). */
function LiveVmList() {
  const vms = useLab((s) => s.vms);
  return <VmList vms={vms} />;
}

export function App() {
  const errors = useLab((s) => s.errors);
  const presenter = useLab((s) => s.presenter);
  const [help, setHelp] = useState(false);
  const [chapters, setChapters] = useState(false);
  useShortcuts(setHelp);
  useEffect(() => {
    // What the address names (a chapter, a shared session) or the default lab; all through one front door.
    useLab.setState({ speed: initialSpeed(), slowMotion: initialSlowMotion() });
    openLocation(location.hash, true);
    // A link pasted into this tab changes only the hash: open what it names (asking first if that replaces recorded actions).
    const onHash = (): void => openLocation(location.hash, false);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.body.classList.toggle('presenter', presenter);
  }, [presenter]);
  return (
    <main>
      <header>
        <div className="header-actions">
          <button className="primary" onClick={() => setChapters(true)}>
            Guided tour
          </button>
          <button aria-pressed={presenter} onClick={() => useLab.setState({ presenter: !presenter })} title="Larger type and focus on the panel that matters, for a projector or a screen recording">
            Presenter mode
          </button>
          <FocusPicker />
        </div>
        <h1>Lockstep</h1>
        <p className="tagline">
          The <strong>primary</strong> VM logs every non-deterministic event; the <strong>backup</strong> replays it at the same
          instruction. Outputs wait until the backup has acknowledged their log entry. Kill the primary and watch the backup take over.
        </p>
      </header>
      <Controls onHelp={() => setHelp(true)} />
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
      {chapters && (
        <ChapterList
          onClose={() => setChapters(false)}
          onPick={(id) => {
            setChapters(false);
            openChapter(id);
          }}
        />
      )}
      <HighlightStyle />
      <Notice />
      <ReplaceDialog />
      <RecordingBar />
      <TourPanel />
      {errors.length > 0 && (
        <pre className="errors" role="alert">
          {errors.join('\n')}
        </pre>
      )}
      <Stage />
      <section className="details" aria-labelledby="details-h">
        <h2 id="details-h" className="details-title">
          Details <small>registers, memory and consoles of each VM; client, checkers, timeline, metrics</small>
        </h2>
        <LiveVmList />
        <div className="lower">
          <ClientPanel />
          <Verdicts />
          <Feed />
        </div>
        <VizPanels />
        <div className="lower2">
          <Channel />
          <Switches />
          <details className="editor-box">
            <summary>Write your own program</summary>
            <Editor />
          </details>
        </div>
      </section>
    </main>
  );
}
