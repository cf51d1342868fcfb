// The simulator's time bar: every session there is recorded as it runs (scenario, seed, settings
// and each action at its virtual time). Seek anywhere (a deterministic replay rebuilds both VMs),
// export a recording file, import one, copy a link that reproduces the session. Acting while
// viewing the past forks a new run from that instant.
import { useRef, useState } from 'react';
import { RECORDING_EXTENSION, RecordingError, decodeShareLink, describeAction } from '../workers/pure';
import { importRecording } from './frontDoor';
import { currentSim, labActions, useLab } from './labStore';

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/gzip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ImportButton() {
  const fileRef = useRef<HTMLInputElement>(null);
  return (
    <>
      <button onClick={() => fileRef.current?.click()} title="Open a recording file">
        Import
      </button>
      <input
        ref={fileRef}
        type="file"
        accept={`${RECORDING_EXTENSION},.gz,.json`}
        hidden
        aria-label="Recording file"
        onChange={async (e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) importRecording(new Uint8Array(await f.arrayBuffer()), f.name);
        }}
      />
    </>
  );
}

/** The range input keeps its value in limited precision: the far end of the bar means the end, exactly. */
const snap = (t: number, end: number): number => (Math.abs(t - end) <= Math.abs(end) * 1e-9 ? end : t);

export function RecordingBar() {
  const runtime = useLab((s) => s.runtime);
  const rec = useLab((s) => s.recording);
  const now = useLab((s) => s.virtualNow);
  const tour = useLab((s) => s.tour);
  useLab((s) => s.frame);
  const [drag, setDrag] = useState<number | null>(null);
  const [link, setLink] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const lab = currentSim();
  if (runtime !== 'simulator' || !lab) {
    return (
      <section className="panel recording" aria-label="Recording and time travel">
        <div className="rec-row">
          <span className="hint">Web Workers run real threads: this run is not recorded and cannot be replayed.</span>
          <span className="spacer" />
          <button onClick={() => labActions.setRuntime('simulator')} title="Run the same program on the deterministic simulator, where every session is recorded">
            Record (switch to the Simulator)
          </button>
          <ImportButton />
        </div>
      </section>
    );
  }
  const end = Math.max(rec.endMs ?? 0, now, 1);
  const actions = lab.state.actions;
  const v = lab.state.verification;
  const seekable = !tour && rec.seeking === null;
  const exportFile = async () => {
    setBusy(true);
    try {
      const title = rec.title ?? (tour ? `tour: ${tour.chapterId}` : `${lab.state.spec.scenario.program} session`);
      const r = await lab.exportRecording(title);
      download(r.bytes, `lockstep-${r.program}-${Math.round(r.endMs)}ms${RECORDING_EXTENSION}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel recording" aria-label="Recording and time travel">
      <div className="rec-row">
        <span className="rec-dot" aria-hidden="true" />
        <strong>{rec.title ?? 'Recording'}</strong>
        <span className="hint">
          {actions.length} action{actions.length === 1 ? '' : 's'}
          {rec.endMs !== null && now < rec.endMs ? ` · viewing the past: acting now forks a new run` : ''}
          {v.expected > 0 && (v.mismatch ? ` · ✖ replay differs: ${v.mismatch}` : ` · ✔ replay matches ${v.checked} of ${v.expected} checkpoints so far`)}
          {tour !== null ? ' · in the tour, move with its steps' : ''}
        </span>
        <span className="spacer" />
        <button onClick={() => void exportFile()} disabled={busy} title="Save this session as a file (scenario, settings, every action, checkpoints and the trace)">
          {busy ? 'Exporting…' : 'Export'}
        </button>
        <ImportButton />
        <button
          onClick={async () => {
            const fragment = await lab.shareLink();
            try {
              decodeShareLink(fragment); // what the receiver's front door will check
            } catch (err) {
              const why = err instanceof RecordingError ? err.message.replace(/^this link is damaged: /, '') : String(err);
              useLab.setState({ notice: { text: `This session cannot be shared as a link: ${why}`, tone: 'bad', sticky: true } });
              return;
            }
            const url = `${location.origin}${location.pathname}#run=${fragment}`;
            setLink(url);
            void navigator.clipboard?.writeText(url).catch(() => undefined);
          }}
          title="A link that reproduces this session: scenario, seed, settings and every action up to now"
        >
          Share link
        </button>
      </div>
      <div className="rec-row" hidden={tour !== null}>
        <button disabled={!seekable} onClick={() => void lab.seek(0)} aria-label="Back to the start" title="Back to the start">
          |◀
        </button>
        <div className="scrub">
          <input
            type="range"
            aria-label="Time (virtual ms)"
            min={0}
            max={end}
            step="any"
            disabled={!seekable}
            value={drag ?? now}
            onChange={(e) => setDrag(Number(e.target.value))}
            onPointerUp={() => drag !== null && (void lab.seek(snap(drag, end)), setDrag(null))}
            onKeyUp={() => drag !== null && (void lab.seek(snap(drag, end)), setDrag(null))}
          />
          <div className="marks" aria-hidden="true">
            {actions.slice(-200).map((a, i) => (
              <span key={i} className={`mark kind-${a.kind}`} style={{ left: `${(a.at / end) * 100}%` }} title={`${fmt(a.at)}: ${describeAction(a)}`} />
            ))}
          </div>
        </div>
        <output className="rec-time" data-testid="rec-time">
          {rec.seeking !== null ? `replaying to ${fmt(rec.seeking)}…` : `${fmt(drag ?? now)} / ${fmt(end)}`}
        </output>
        {rec.seeking !== null && <progress aria-label="Replaying to the chosen instant" max={rec.seeking} value={now} />}
      </div>
      {link && (
        <div className="rec-row share">
          <label>
            Link (copied if the browser allowed it){' '}
            <input readOnly value={link} aria-label="Share link" onFocus={(e) => e.target.select()} size={60} />
          </label>
          <span className="hint">{link.length} characters</span>
          <button className="link" onClick={() => setLink(null)}>
            hide
          </button>
        </div>
      )}
    </section>
  );
}
