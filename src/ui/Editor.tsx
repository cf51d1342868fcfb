// Write your own guest program: assemble it and run it on the primary and backup. Assembler
// errors are listed with line:col; clicking one puts the cursor there. A bad program changes
// nothing that is running.
import { useRef, useState } from 'react';
import { assembleProgram, MAX_SOURCE_CHARS, PROGRAM_SOURCES } from '../workers/pure';
import type { AsmError } from '../engine/machine/assembler';
import { startLab, useLab } from './labStore';

/** Errors listed in full; past these, a count (a 1 MB source can have tens of thousands). */
export const MAX_LISTED_ERRORS = 50;

const STARTER = `; Your program. It runs on both VMs; the backup replays it.
; Ports: CONSOLE, TIMER_PERIOD, CLOCK, RANDOM, NIC_*, DISK_* (see docs/isa.md).
start:
    li r1, hello
    call puts
    in r1, RANDOM        ; non-deterministic: logged on the primary, replayed on the backup
    call putx
    li r1, 10
    call putc
    halt
hello: .string "random number: 0x"
    .align 4
.include "lib"
`;

export function Editor() {
  const program = useLab((s) => s.program);
  const [source, setSource] = useState(STARTER);
  const [errors, setErrors] = useState<readonly AsmError[]>([]);
  const [status, setStatus] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);

  const goTo = (e: AsmError): void => {
    const el = area.current;
    if (!el || e.file) return;
    const lines = source.split('\n');
    let pos = 0;
    for (let i = 0; i < e.line - 1 && i < lines.length; i++) pos += lines[i]!.length + 1;
    pos += Math.max(0, e.col - 1);
    el.focus();
    el.setSelectionRange(pos, pos);
  };

  const run = (): void => {
    if (source.length > MAX_SOURCE_CHARS) {
      // A recording or a link could not carry it: refuse it here, where it can be shortened.
      setErrors([]);
      setStatus(`the program is ${source.length.toLocaleString('en-US')} characters, over the limit of ${MAX_SOURCE_CHARS.toLocaleString('en-US')}: nothing was changed`);
      return;
    }
    const r = assembleProgram(source);
    if (!r.ok) {
      setErrors(r.errors);
      setStatus(`${r.errors.length.toLocaleString('en-US')} error${r.errors.length > 1 ? 's' : ''}: nothing was changed`);
      return;
    }
    setErrors([]);
    startLab(program, source);
    setStatus(`assembled ${r.image.length} bytes; running on both VMs`);
  };

  return (
    <section className="panel editor" aria-label="Program editor">
      <h2>Your program</h2>
      <div className="editor-bar">
        <button onClick={run}>Assemble and run</button>
        <button onClick={() => setSource(PROGRAM_SOURCES[program])}>Load {program}'s source</button>
        <output className="editor-status">{status}</output>
      </div>
      <textarea
        ref={area}
        aria-label="Assembly source"
        spellCheck={false}
        value={source}
        onChange={(e) => setSource(e.target.value)}
        rows={16}
        aria-invalid={errors.length > 0}
        aria-describedby="asm-errors"
      />
      <ul id="asm-errors" className="asm-errors" role="alert">
        {errors.slice(0, MAX_LISTED_ERRORS).map((e, i) => (
          <li key={i}>
            <button className="link" onClick={() => goTo(e)}>
              {e.file ? `${e.file}:` : ''}
              {e.line}:{e.col}
            </button>
            : {e.message}
          </li>
        ))}
        {errors.length > MAX_LISTED_ERRORS && (
          <li className="more" data-testid="asm-errors-more">
            … and {(errors.length - MAX_LISTED_ERRORS).toLocaleString('en-US')} more error{errors.length - MAX_LISTED_ERRORS === 1 ? '' : 's'}
          </li>
        )}
      </ul>
    </section>
  );
}
