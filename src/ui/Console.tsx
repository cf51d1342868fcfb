// One xterm.js terminal per VM console; output is written imperatively. The backup's output is
// suppressed by FT, so it is shown greyed.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { setConsoleSink } from './labStore';

const GREY = '\x1b[90;3m';
const RESET = '\x1b[0m';

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
    term.open(el);
    fit.fit();
    setConsoleSink(vm, (text, suppressed) => {
      if (text === '\x1bc') term.reset();
      else term.write(suppressed ? `${GREY}${text}${RESET}` : text);
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
