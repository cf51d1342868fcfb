// Flow control from guest to screen. A guest may print or send as fast as it runs; the page shows
// at most so much per frame and drops the rest with a count the learner sees ("… N lines not
// shown"). Used by the VM workers (before posting to the page) and by the page (before xterm).
// Nothing here touches the engine: what a VM does is unchanged, only what reaches the screen.

import type { TraceEvent } from '../engine/ft/trace';

const MARK = /… (\d+) lines? not shown/g;

/** The line that stands for text left out. */
export function notShown(lines: number, chars: number): string {
  return lines > 0 ? `… ${lines} line${lines === 1 ? '' : 's'} not shown\n` : `… ${chars} characters not shown\n`;
}

function newlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** How many lines `text` holds, a marker counting for the lines it stands for. */
export function linesIn(text: string): number {
  let n = newlines(text);
  if (text.includes('… ')) for (const m of text.matchAll(MARK)) n += Number(m[1]) - 1;
  return n;
}

/** Console text gathered for one window (a post, a frame): at most `maxChars` and `maxLines` kept. */
export class ConsoleChunk {
  text = '';
  lines = 0;
  droppedLines = 0;
  droppedChars = 0;

  constructor(
    readonly maxChars: number,
    readonly maxLines: number,
  ) {}

  get empty(): boolean {
    return this.text === '' && this.droppedChars === 0;
  }

  add(text: string): void {
    if (this.droppedChars === 0 && this.text.length + text.length <= this.maxChars) {
      const n = newlines(text);
      if (this.lines + n <= this.maxLines) {
        this.text += text;
        this.lines += n;
        return;
      }
    }
    // Over budget: keep the whole lines that still fit, then drop everything until the window ends.
    if (this.droppedChars === 0) {
      const room = this.maxChars - this.text.length;
      let cut = 0;
      for (let i = text.indexOf('\n'); i >= 0 && i + 1 <= room && this.lines < this.maxLines; i = text.indexOf('\n', i + 1)) {
        cut = i + 1;
        this.lines++;
      }
      this.text += text.slice(0, cut);
      text = text.slice(cut);
    }
    if (text.length === 0) return;
    this.droppedLines += linesIn(text);
    this.droppedChars += text.length;
  }

  /** The window's text with its marker, and a fresh start. */
  take(): string {
    const out = this.droppedChars > 0 ? `${this.text}${this.text === '' || this.text.endsWith('\n') ? '' : '\n'}${notShown(this.droppedLines, this.droppedChars)}` : this.text;
    this.text = '';
    this.lines = 0;
    this.droppedLines = 0;
    this.droppedChars = 0;
    return out;
  }
}

export interface OutboxLimits {
  /** Console characters (and lines) per batch, per console. */
  readonly consoleChars: number;
  readonly consoleLines: number;
  /** Events per batch. */
  readonly maxBatch: number;
  /** Batches posted and not yet acknowledged by the page. */
  readonly maxInFlight: number;
  /** Events waiting here beyond which the producer must hold (backpressure). */
  readonly holdAt: number;
}

export const WORKER_OUTBOX: OutboxLimits = { consoleChars: 4096, consoleLines: 64, maxBatch: 4000, maxInFlight: 8, holdAt: 40000 };

/**
 * A VM worker's trace on its way to the page. Console output is coalesced per batch and bounded
 * (the rest dropped with a marker); other events queue, a few batches in flight at a time, each
 * acknowledged by the page. When the queue is long the worker holds its realm: the VM runs no
 * faster than the page can follow, and memory on both sides stays bounded.
 */
export class TraceOutbox {
  private _queue: TraceEvent[] = [];
  private readonly _console = new Map<string, { vm: string; suppressed: boolean; t: number; chunk: ConsoleChunk }>();
  private _inFlight = 0;

  constructor(readonly limits: OutboxLimits = WORKER_OUTBOX) {}

  push(events: readonly TraceEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'console') {
        const key = `${ev.vm}|${ev.suppressed}`;
        let c = this._console.get(key);
        if (!c) {
          c = { vm: ev.vm, suppressed: ev.suppressed, t: ev.t, chunk: new ConsoleChunk(this.limits.consoleChars, this.limits.consoleLines) };
          this._console.set(key, c);
        }
        if (c.chunk.empty) c.t = ev.t;
        c.chunk.add(ev.text);
      } else this._queue.push(ev);
    }
  }

  /** The producer should stop until acknowledgements come. */
  get full(): boolean {
    return this._queue.length >= this.limits.holdAt;
  }

  get queued(): number {
    return this._queue.length;
  }

  get inFlight(): number {
    return this._inFlight;
  }

  /** The next batch to post, or null (nothing waiting, or too many batches unacknowledged). */
  take(): TraceEvent[] | null {
    if (this._inFlight >= this.limits.maxInFlight) return null;
    const consoles = [...this._console.values()].filter((c) => !c.chunk.empty);
    if (this._queue.length === 0 && consoles.length === 0) return null;
    const batch = this._queue.length <= this.limits.maxBatch ? this._queue.splice(0) : this._queue.splice(0, this.limits.maxBatch);
    for (const c of consoles) batch.push({ type: 'console', vm: c.vm, text: c.chunk.take(), suppressed: c.suppressed, t: c.t });
    this._inFlight++;
    return batch;
  }

  ack(): void {
    this._inFlight = Math.max(0, this._inFlight - 1);
  }
}
