// One xterm.js terminal showing a machine's console; output is written imperatively.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { setConsoleSink } from './machineStore';

export function Console({ label }: { label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      convertEol: true,
      disableStdin: true,
      fontSize: 14,
      rows: 14,
      scrollback: 2000,
      theme: { background: '#0f172a', foreground: '#e2e8f0' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    fit.fit();
    setConsoleSink((chunk, reset) => {
      if (reset) term.reset();
      if (chunk) term.write(chunk);
    });
    const ro = new ResizeObserver(() => fit.fit());
    ro.observe(el);
    return () => {
      ro.disconnect();
      setConsoleSink(null);
      term.dispose();
    };
  }, []);
  return <div className="console" ref={host} role="log" aria-label={label} />;
}
