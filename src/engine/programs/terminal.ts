// The client terminal's commands, read from the program table: what a learner may type into the
// terminal of a lab running `program`, turned into the guest's requests. The page runs these
// itself (each keystroke needs an answer at once) through src/workers/pure.ts.

import { PROGRAMS, clientProtocol, type TerminalCommand } from './catalog';
import { PROGRAM_NAMES } from './index';
import { FRAME_HEADER_BYTES, SERVER_RX_BYTES } from './protocol';

export type ParsedCommand =
  | { readonly kind: 'request'; readonly text: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'clear' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'error'; readonly message: string };

/** The terminal's own commands, whatever the program. */
const LOCAL: readonly TerminalCommand[] = [
  { name: 'help', args: [], doc: 'this list' },
  { name: 'clear', args: [], doc: 'clear the terminal' },
];

/** The longest request text a server reads (a frame must be shorter than its receive buffer). */
export const MAX_REQUEST_CHARS = SERVER_RX_BYTES - FRAME_HEADER_BYTES - 1;

/** The programs that take client requests, in the table's order. */
export const SERVER_PROGRAM_NAMES: readonly string[] = PROGRAM_NAMES.filter((p) => PROGRAMS[p].client !== null);

const serverList = (): string => SERVER_PROGRAM_NAMES.join(' or ');

/** Every command the terminal takes for `program`: the program's own, then help and clear. */
export function commandsFor(program: string): readonly TerminalCommand[] {
  return [...(clientProtocol(program)?.commands ?? []), ...LOCAL];
}

const WORD = /^[!-~]+$/;

export function parseCommand(line: string, program: string): ParsedCommand {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return { kind: 'empty' };
  const name = words[0]!.toLowerCase();
  if (name === 'help' || name === '?') return { kind: 'help' };
  if (name === 'clear') return { kind: 'clear' };
  const spec = commandsFor(program).find((c) => c.name === name);
  if (!spec) {
    if (!clientProtocol(program)) return { kind: 'error', message: `this program does not talk to clients; pick ${serverList()}` };
    return { kind: 'error', message: `unknown command '${words[0]}' (type help)` };
  }
  const args = words.slice(1);
  if (args.length !== spec.args.length) {
    return { kind: 'error', message: `usage: ${spec.name} ${spec.args.map((a) => `<${a}>`).join(' ')}` };
  }
  for (const a of args) if (!WORD.test(a)) return { kind: 'error', message: `'${a}' has characters the server does not accept` };
  const text = [name.toUpperCase(), ...args].join(' ');
  if (text.length > MAX_REQUEST_CHARS) return { kind: 'error', message: `request too long (the server reads at most ${MAX_REQUEST_CHARS} characters)` };
  return { kind: 'request', text };
}

export function helpText(program: string): string[] {
  return commandsFor(program).map((c) => `  ${[c.name, ...c.args.map((a) => `<${a}>`)].join(' ').padEnd(22)} ${c.doc}`);
}

/** Tab completion of the command word: the completed line, or the candidates if ambiguous. */
export function complete(line: string, program: string): { line: string; candidates: readonly string[] } {
  if (/\s/.test(line.trimStart())) return { line, candidates: [] };
  const prefix = line.trimStart().toLowerCase();
  const names = commandsFor(program)
    .map((c) => c.name)
    .filter((n) => n.startsWith(prefix));
  if (names.length === 1) return { line: `${names[0]} `, candidates: [] };
  return { line, candidates: names };
}

/** The terminal's first line for a lab running `program`. */
export function greeting(program: string): string {
  const c = clientProtocol(program);
  if (!c) return `${program} takes no client requests. Pick ${serverList()}.`;
  return `Type a request for ${program}, e.g. ${c.examples.map((e) => `"${e}"`).join(', ')}; "help" lists them.`;
}
