// A small line editor for an xterm.js terminal: typing, backspace, Enter, history (↑/↓), Tab,
// Ctrl-C. Pure: it turns key data into a new state and the bytes to echo.

export interface LineState {
  readonly line: string;
  readonly history: readonly string[];
  /** Index into history while browsing with ↑/↓; history.length = the line being typed. */
  readonly browse: number;
  readonly draft: string;
}

export const emptyLine = (history: readonly string[] = []): LineState => ({ line: '', history, browse: history.length, draft: '' });

export type LineEvent =
  /** `leftOut`: lines of a multi-line paste after the one sent (a client sends one request at a time). */
  | { readonly kind: 'submit'; readonly line: string; readonly leftOut?: number }
  | { readonly kind: 'tab'; readonly line: string }
  | { readonly kind: 'cancel' }
  /** Typed or pasted text did not fit on the line: `dropped` characters were left out. */
  | { readonly kind: 'full'; readonly dropped: number };

/** The longest line the editor holds (longer than any request the servers read, so that one gets its own error). */
export const MAX_LINE = 80;

export interface LineResult {
  readonly state: LineState;
  readonly echo: string;
  readonly event?: LineEvent;
}

const ERASE_LINE = (n: number): string => '\b \b'.repeat(n);

export function feed(s: LineState, data: string): LineResult {
  switch (data) {
    case '\r': {
      const line = s.line;
      const history = line.trim() && s.history[s.history.length - 1] !== line ? [...s.history, line].slice(-100) : s.history;
      return { state: { line: '', history, browse: history.length, draft: '' }, echo: '\r\n', event: { kind: 'submit', line } };
    }
    case '\x7f':
    case '\b':
      if (s.line.length === 0) return { state: s, echo: '' };
      return { state: { ...s, line: s.line.slice(0, -1) }, echo: '\b \b' };
    case '\x03':
      return { state: { ...s, line: '', browse: s.history.length, draft: '' }, echo: '^C\r\n', event: { kind: 'cancel' } };
    case '\t':
      return { state: s, echo: '', event: { kind: 'tab', line: s.line } };
    case '\x1b[A': {
      if (s.browse === 0) return { state: s, echo: '' };
      const browse = s.browse - 1;
      const draft = s.browse === s.history.length ? s.line : s.draft;
      const line = s.history[browse]!;
      return { state: { ...s, browse, draft, line }, echo: ERASE_LINE(s.line.length) + line };
    }
    case '\x1b[B': {
      if (s.browse >= s.history.length) return { state: s, echo: '' };
      const browse = s.browse + 1;
      const line = browse === s.history.length ? s.draft : s.history[browse]!;
      return { state: { ...s, browse, line }, echo: ERASE_LINE(s.line.length) + line };
    }
    default: {
      // Printable text (typed or pasted); escape sequences we do not handle are ignored.
      if (data.startsWith('\x1b')) return { state: s, echo: '' };
      // (escape sequences inside a paste go whole, not just their ESC byte)
      // eslint-disable-next-line no-control-regex -- the escape sequences are what it removes
      const lines = data.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[\s\S]?/g, '').split(/\r\n|\r|\n/);
      if (lines.length > 1) {
        // A paste of several lines: its first line is sent as if typed and Entered; the rest are
        // left out, and said so (the client sends one request at a time).
        const typed = feed(s, lines[0]!);
        const sent = feed(typed.state, '\r');
        const leftOut = lines.slice(1).filter((l) => l.trim() !== '').length;
        const event = sent.event?.kind === 'submit' && leftOut > 0 ? { ...sent.event, leftOut } : sent.event;
        return { state: sent.state, echo: typed.echo + sent.echo, ...(event ? { event } : {}) };
      }
      const text = [...lines[0]!].filter((c) => c >= ' ' && c <= '~').join('');
      if (!text) return { state: s, echo: '' };
      const room = Math.max(0, MAX_LINE - s.line.length);
      const add = text.slice(0, room);
      const state = { ...s, line: s.line + add };
      return text.length > room ? { state, echo: add, event: { kind: 'full', dropped: text.length - room } } : { state, echo: add };
    }
  }
}

/** Replace the current line (after Tab completion). */
export function replaceLine(s: LineState, line: string): LineResult {
  return { state: { ...s, line }, echo: ERASE_LINE(s.line.length) + line };
}
