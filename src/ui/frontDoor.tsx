// One front door for every session that comes from outside: a share link (#run=), a tour link
// (#tour=), a recording file. Each is validated completely (schema, bounds, checksum, the program
// assembles: src/engine/session/recording.ts) before anything on screen is replaced. A refusal is
// told in a notice that stays until dismissed, and leaves the session on screen as it was (on a
// fresh page, the default lab). A link pasted into a tab whose session has recorded actions asks
// first, in a small dialog: Replace or Keep.
import { create } from 'zustand';
import type { Recording, ShareLink } from '../engine/session/recording';
import { chapterById, decodeRecording, decodeShareLink, linkHasChecksum, RecordingError } from '../workers/pure';
import { currentSim, startLab, startSim, startTour, useLab } from './labStore';
import { openChapter } from './Tour';

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/** A session that passed the door, ready to open, and how to say what it is. */
interface Admitted {
  readonly what: string;
  readonly open: () => void;
}

/** A session waiting for the learner to say Replace or Keep. */
export const usePendingOpen = create<{ pending: Admitted | null }>(() => ({ pending: null }));

/** A refusal: stays on screen (across lab restarts) until dismissed. */
function refuse(text: string): void {
  useLab.setState({ notice: { text, tone: 'bad', sticky: true } });
}

function errorText(err: unknown): string {
  return err instanceof RecordingError ? err.message : `something went wrong reading it (${err instanceof Error ? err.message : String(err)})`;
}

/** What a `#run=` text holds, checked; or why not. */
function admitLink(fragment: string): Admitted | string {
  let link: ShareLink;
  try {
    link = decodeShareLink(fragment);
  } catch (err) {
    return errorText(err);
  }
  const unchecked = linkHasChecksum(fragment) ? '' : ' It is an older link, without a checksum: damage to it could not be detected.';
  const summary = `${link.actions.length} action${link.actions.length === 1 ? '' : 's'}, at ${fmt(link.at)}`;
  return {
    what: `a shared session (${summary})`,
    open: () => {
      const ch = link.chapter ? chapterById(link.chapter) : undefined;
      if (ch && link.step !== null) startTour(ch.id, link.step, { actions: link.actions, at: link.at });
      else startSim({ spec: link.spec, actions: link.actions, endMs: link.at, paused: true }, { title: 'shared link', seekTo: link.at });
      useLab.setState({ notice: { text: `Opened a shared session: ${summary}.${unchecked}`, tone: 'info' } });
    },
  };
}

/** What a `#tour=chapter/step` text names, checked; or why not. */
function admitTour(text: string): Admitted | string {
  const m = /^([\w-]{1,100})(?:\/(\d{1,6}))?$/.exec(text);
  if (!m) return 'this tour link is not one Lockstep makes (it should look like #tour=failover/2)';
  const ch = chapterById(m[1]!);
  if (!ch) return `the tour has no chapter called “${m[1]}”`;
  const step = Math.max(0, Number(m[2] ?? 1) - 1);
  return { what: `the tour chapter “${ch.title}”`, open: () => void openChapter(ch.id, step) };
}

/** What an address fragment names: a link, a tour chapter, or nothing (null). */
function admitHash(hash: string): Admitted | string | null {
  if (hash.startsWith('#run=')) return admitLink(hash.slice('#run='.length));
  if (hash.startsWith('#tour=')) return admitTour(hash.slice('#tour='.length));
  return null;
}

/** Has the session on screen anything the learner would lose (recorded actions)? */
function sessionWorthKeeping(): boolean {
  const sim = currentSim();
  return sim !== null && sim.state.actions.length > 0;
}

/**
 * Open what the address names. `fresh`: the page just loaded, so there is no session to keep —
 * whatever happens, a lab runs (the default one if the address names nothing openable).
 */
export function openLocation(hash: string, fresh: boolean): void {
  const a = admitHash(hash);
  if (a === null) {
    if (fresh) startLab('kv-server');
    return;
  }
  if (typeof a === 'string') {
    if (fresh) startLab('kv-server');
    refuse(`Not opened: ${a}. ${fresh ? 'The default lab started instead.' : 'Your session is still here, unchanged.'}`);
    return;
  }
  if (!fresh && sessionWorthKeeping()) {
    usePendingOpen.setState({ pending: a });
    return;
  }
  usePendingOpen.setState({ pending: null });
  a.open();
}

/** Load a recording file's bytes. A bad file gets a message and the session on screen is untouched. */
export function importRecording(bytes: Uint8Array, file: string): boolean {
  let r: Recording;
  try {
    r = decodeRecording(bytes, file);
  } catch (err) {
    refuse(`Not loaded. ${errorText(err)}`);
    return false;
  }
  startSim({ spec: r.spec, actions: r.actions, endMs: r.endMs, paused: true, checkpoints: r.checkpoints }, { title: r.title || file });
  useLab.setState({ notice: { text: `Loaded “${r.title || file}”: ${r.actions.length} action${r.actions.length === 1 ? '' : 's'} over ${fmt(r.endMs)}. Press Resume to play, or drag the time bar.`, tone: 'info' } });
  return true;
}

/** Asks before a pasted link replaces a session with recorded actions. The session runs on meanwhile. */
export function ReplaceDialog() {
  const pending = usePendingOpen((s) => s.pending);
  const actions = useLab((s) => s.recording.actions);
  if (!pending) return null;
  const close = (): void => usePendingOpen.setState({ pending: null });
  return (
    <div className="replace-dialog" role="alertdialog" aria-labelledby="replace-dialog-text" data-testid="replace-dialog">
      <p id="replace-dialog-text">
        <strong>Open the link?</strong> It names {pending.what}. Opening it replaces the session on screen and its {actions} recorded action
        {actions === 1 ? '' : 's'} (export it first to keep a copy).
      </p>
      <div className="replace-dialog-buttons">
        <button
          className="danger"
          onClick={() => {
            close();
            pending.open();
          }}
        >
          Replace
        </button>
        <button autoFocus onClick={close}>
          Keep my session
        </button>
      </div>
    </div>
  );
}
