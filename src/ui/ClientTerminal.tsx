// The client terminal (xterm.js): type the running program's commands (the program table's: `put
// k v`, `lease n`…), with history (↑/↓), Tab completion and `help`. Requests go out as client 1;
// each reply is printed with the VM that sent it.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { useEffect, useRef } from 'react';
import { labActions, setClientSink, useLab } from './labStore';
import { printable } from '../workers/flow';
import { complete, greeting, helpText, MAX_REQUEST_CHARS, parseCommand } from '../workers/pure';
import { emptyLine, feed, MAX_LINE, replaceLine } from './terminal/lineEditor';

const PROMPT = '\x1b[36mclient>\x1b[0m ';

export function ClientTerminal() {
  const host = useRef<HTMLDivElement>(null);
  const program = useLab((s) => s.program);
  const framesDropped = useLab((s) => s.framesDropped);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({ fontSize: 14, rows: 8, scrollback: 500, cursorBlink: true, theme: { background: '#0b1220', foreground: '#e2e8f0' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    let state = emptyLine();
    // No keyboard trap (WCAG 2.1.2): Tab completes a request being typed; on an empty line, and
    // always with Shift, it moves focus on. Escape leaves the terminal too.
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      if (e.key === 'Escape') {
        term.blur();
        return false;
      }
      return !(e.key === 'Tab' && (e.shiftKey || state.line.length === 0));
    });
    term.open(el);
    fit.fit();
    // Flow control (xterm.js's write callback): replies beyond what xterm has parsed are counted, not queued.
    let waiting = 0;
    let dropped = 0;
    const println = (text: string): void => {
      if (waiting > 16_384) {
        dropped++;
        return;
      }
      const skipped = dropped > 0 ? `\x1b[2m… ${dropped} line${dropped === 1 ? '' : 's'} not shown\x1b[0m\r\n` : '';
      dropped = 0;
      const out = `\r\x1b[2K${skipped}${text}\r\n${PROMPT}${state.line}`;
      waiting += out.length;
      term.write(out, () => {
        waiting -= out.length;
      });
    };
    term.write(`${greeting(program)}\r\n${PROMPT}`);
    // (every line is made printable first: what a guest sent must not drive the terminal)
    const TONE = { request: '', ok: '\x1b[32m', warn: '\x1b[33m', note: '\x1b[2m' } as const;
    setClientSink((line, tone) => println(`${TONE[tone]}${printable(line)}\x1b[0m`));
    let fullSaid = false;
    const sub = term.onData((data) => {
      const r = feed(state, data);
      state = r.state;
      if (state.line.length < MAX_LINE) fullSaid = false;
      term.write(r.echo);
      const ev = r.event;
      if (!ev) return;
      if (ev.kind === 'tab') {
        const c = complete(ev.line, program);
        if (c.candidates.length > 1) println(c.candidates.join('  '));
        const rr = replaceLine(state, c.line);
        state = rr.state;
        term.write(rr.echo);
        return;
      }
      if (ev.kind === 'cancel') {
        term.write(PROMPT);
        return;
      }
      if (ev.kind === 'full') {
        // (once per line: a key held down past the end must not flood the terminal)
        if (!fullSaid) println(`\x1b[33mline full: ${ev.dropped} character${ev.dropped === 1 ? '' : 's'} left out (a line holds ${MAX_LINE}; the server reads at most ${MAX_REQUEST_CHARS})\x1b[0m`);
        fullSaid = true;
        return;
      }
      fullSaid = false;
      if (ev.leftOut) println(`\x1b[33mone request at a time: the paste's other ${ev.leftOut} line${ev.leftOut === 1 ? ' was' : 's were'} left out (send each when the last is answered)\x1b[0m`);
      const cmd = parseCommand(ev.line, program);
      switch (cmd.kind) {
        case 'request':
          // (the lab answers asynchronously: the simulator runs in its own worker)
          // (the request line itself is printed from the trace, as the client sends it: see labStore)
          void labActions.request(cmd.text).then((ok) => {
            if (!ok) println('\x1b[33mstill waiting for the previous reply\x1b[0m');
          });
          return;
        case 'help':
          term.write(`${helpText(program).join('\r\n')}\r\n`);
          break;
        case 'clear':
          term.clear();
          break;
        case 'error':
          term.write(`\x1b[31m${cmd.message}\x1b[0m\r\n`);
          break;
        case 'empty':
          break;
      }
      term.write(PROMPT);
    });
    const ro = new ResizeObserver(() => fit.fit());
    ro.observe(el);
    return () => {
      ro.disconnect();
      sub.dispose();
      setClientSink(null);
      term.dispose();
    };
  }, [program]);
  return (
    <>
      <div className="client-terminal" ref={host} role="textbox" aria-label="Client terminal: type a request and press Enter (Tab completes; Escape leaves)" />
      {framesDropped > 0 && (
        <p className="switch-drops" title="A frame addressed to no client, or beyond what a switch port queues, is dropped">
          the switch dropped <output data-testid="frames-dropped">{framesDropped.toLocaleString('en-US')}</output> frame{framesDropped === 1 ? '' : 's'}
        </p>
      )}
    </>
  );
}
