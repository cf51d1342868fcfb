// The first page: one machine running a guest program, no FT yet. Shows what the machine is
// doing (icount, pc, disassembly, registers, console) and lets you talk to the kv-server.
import { useEffect, useState } from 'react';
import { PROGRAM_NAMES } from '../engine/programs/index';
import { Console } from './Console';
import { connectMachine, loadProgram, sendRequest, useMachineStore } from './machineStore';

const hex = (v: number, d = 8): string => `0x${(v >>> 0).toString(16).padStart(d, '0')}`;

function Controls() {
  const api = useMachineStore((s) => s.api);
  const running = useMachineStore((s) => s.view?.running ?? false);
  const program = useMachineStore((s) => s.view?.program ?? 'kv-server');
  const [speed, setSpeed] = useState(1);
  return (
    <div className="controls" role="toolbar" aria-label="Machine controls">
      <label>
        Program{' '}
        <select aria-label="Program" value={program} onChange={(e) => void loadProgram(e.target.value)}>
          {PROGRAM_NAMES.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      {running ? (
        <button onClick={() => void api?.setRunning(false)}>Pause</button>
      ) : (
        <button onClick={() => void api?.setRunning(true)}>Resume</button>
      )}
      <button onClick={() => void api?.step()}>Step</button>
      <button onClick={() => void loadProgram(program)}>Reset</button>
      <label>
        Speed{' '}
        <input
          type="range"
          aria-label="Speed"
          min={-3}
          max={1}
          step={1}
          value={Math.log10(speed)}
          onChange={(e) => {
            const s = 10 ** Number(e.target.value);
            setSpeed(s);
            void api?.setSpeed(s);
          }}
        />{' '}
        <output>{speed >= 1 ? `${speed}×` : `1/${Math.round(1 / speed)}×`}</output>
      </label>
    </div>
  );
}

function CpuPanel() {
  const view = useMachineStore((s) => s.view);
  if (!view) return <section className="panel">Starting the machine…</section>;
  return (
    <section className="panel cpu" aria-label="CPU">
      <div className="icount">
        <span className="caption">instructions retired (icount)</span>
        <output aria-label="icount" data-testid="icount">
          {view.icount.toLocaleString('en-US')}
        </output>
        <span className={`status status-${view.status}`}>{view.status}</span>
      </div>
      {view.fault && <p className="fault">Fault: {view.fault}</p>}
      <div className="cpu-grid">
        <table className="regs" aria-label="Registers">
          <tbody>
            <tr>
              <th>pc</th>
              <td>{hex(view.pc, 4)}</td>
            </tr>
            {view.regs.map((r) => (
              <tr key={r.name}>
                <th>{r.name}</th>
                <td>{hex(r.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <ol className="disasm" aria-label="Disassembly around pc">
          {view.disasm.map((l) => (
            <li key={l.addr} className={l.current ? 'current' : undefined} aria-current={l.current ? 'step' : undefined}>
              <span className="addr">{hex(l.addr, 4)}</span> {l.text}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}

function ClientPanel() {
  const lines = useMachineStore((s) => s.client);
  const program = useMachineStore((s) => s.view?.program);
  const [text, setText] = useState('PUT x 5');
  if (program !== 'kv-server' && program !== 'lease-server') return null;
  return (
    <section className="panel client" aria-label="Client">
      <h2>Client</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) void sendRequest(text.trim());
        }}
      >
        <input aria-label="Request" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit">Send</button>
      </form>
      <ul className="client-log">
        {lines.map((l, i) => (
          <li key={i} className={l.dir}>
            {l.dir === 'req' ? '→' : '←'} #{l.reqId} {l.text}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function App() {
  const errors = useMachineStore((s) => s.errors);
  const virtualMs = useMachineStore((s) => s.view?.virtualMs ?? 0);
  useEffect(() => {
    void connectMachine();
  }, []);
  return (
    <main>
      <header>
        <h1>Lockstep</h1>
        <p className="tagline">
          One tiny machine running a real program. Fault tolerance (a primary and a backup in lockstep) comes
          next — first, watch the machine the two VMs will share.
        </p>
      </header>
      <Controls />
      {errors.length > 0 && (
        <pre className="errors" role="alert">
          {errors.join('\n')}
        </pre>
      )}
      <div className="layout">
        <CpuPanel />
        <section className="panel" aria-label="Console">
          <h2>
            Console <small>virtual time {(virtualMs / 1000).toFixed(2)} s</small>
          </h2>
          <Console label="Machine console" />
        </section>
        <ClientPanel />
      </div>
    </main>
  );
}
