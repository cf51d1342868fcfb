// One xterm.js terminal per VM console; output is written imperatively. The backup's output is
// suppressed by FT, so it is shown greyed. Flow control (xterm.js's write callback): while more
// than XTERM_HIGH_WATER characters wait to be parsed, further output is dropped and counted, and
// the next write starts with "… N lines not shown". Markers are dimmed.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { linesIn, notShown, printable } from '../workers/flow';
import { setConsoleSink } from './labStore';

const GREY = '\x1b[90;3m';
const RESET = '\x1b[0m';
const XTERM_HIGH_WATER = 32_768;
const MARKER_LINE = /^… \d+ (lines?|characters) not shown$/gm;
const dimMarkers = (text: string, style: string): string => (text.includes('… ') ? text.replace(MARKER_LINE, (m) => `\x1b[0;2m${m}\x1b[0m${style}`) : text);

export function Console({ vm, label }: { vm: string; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      convertEol: true,
      disableStdin: true,
      fontSize: 13,
      rows: 8,
      scrollback: 1000,
      // Suppressed output is grey and italic; this grey keeps a 4.5:1 contrast on the background.
      theme: { background: '#0f172a', foreground: '#e2e8f0', brightBlack: '#94a3b8' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    // No keyboard trap (WCAG 2.1.2): Tab leaves the read-only console as it would any element.
    term.attachCustomKeyEventHandler((e) => e.key !== 'Tab');
    term.open(el);
    fit.fit();
    let waiting = 0;
    let droppedLines = 0;
    let droppedChars = 0;
    setConsoleSink(vm, (text, suppressed) => {
      if (text === '\x1bc') {
        term.reset();
        droppedLines = droppedChars = 0;
        return;
      }
      if (waiting > XTERM_HIGH_WATER) {
        droppedLines += linesIn(text);
        droppedChars += text.length;
        return;
      }
      const style = suppressed ? GREY : '';
      const marker = droppedChars > 0 ? `\r\n${notShown(droppedLines, droppedChars)}` : '';
      droppedLines = droppedChars = 0;
      const out = dimMarkers(`${style}${marker}${printable(text)}`, style) + (suppressed ? RESET : '');
      waiting += out.length;
      term.write(out, () => {
        waiting -= out.length;
      });
    });
    const ro = new ResizeObserver(() => fit.fit());
    ro.observe(el);
    return () => {
      ro.disconnect();
      setConsoleSink(vm, null);
      term.dispose();
    };
  }, [vm]);
  return <div className="console" ref={host} role="log" aria-label={label} data-vm={vm} />;
}
