// The client terminal's commands: what a learner may type, turned into the guest's requests.

export type ClientProgram = 'kv-server' | 'lease-server' | 'other';

export type ParsedCommand =
  | { readonly kind: 'request'; readonly text: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'clear' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'error'; readonly message: string };

interface CommandSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly doc: string;
}

const KV: readonly CommandSpec[] = [
  { name: 'put', args: ['key', 'value'], doc: 'store a value (written to disk before the reply)' },
  { name: 'get', args: ['key'], doc: 'read a value' },
  { name: 'incr', args: ['key'], doc: 'add one to a number (a missing key counts as 0)' },
  { name: 'del', args: ['key'], doc: 'delete a key' },
];
const LEASE: readonly CommandSpec[] = [
  { name: 'lease', args: ['name'], doc: 'acquire or renew a lease (50 ms of guest time)' },
  { name: 'release', args: ['name'], doc: 'give a lease back' },
];
const LOCAL: readonly CommandSpec[] = [
  { name: 'help', args: [], doc: 'this list' },
  { name: 'clear', args: [], doc: 'clear the terminal' },
];

export function commandsFor(program: ClientProgram): readonly CommandSpec[] {
  return [...(program === 'kv-server' ? KV : program === 'lease-server' ? LEASE : []), ...LOCAL];
}

const WORD = /^[!-~]+$/;

export function parseCommand(line: string, program: ClientProgram): ParsedCommand {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return { kind: 'empty' };
  const name = words[0]!.toLowerCase();
  if (name === 'help' || name === '?') return { kind: 'help' };
  if (name === 'clear') return { kind: 'clear' };
  const spec = commandsFor(program).find((c) => c.name === name);
  if (!spec) {
    if (program === 'other') return { kind: 'error', message: 'this program does not talk to clients; pick kv-server or lease-server' };
    return { kind: 'error', message: `unknown command '${words[0]}' (type help)` };
  }
  const args = words.slice(1);
  if (args.length !== spec.args.length) {
    return { kind: 'error', message: `usage: ${spec.name} ${spec.args.map((a) => `<${a}>`).join(' ')}` };
  }
  for (const a of args) if (!WORD.test(a)) return { kind: 'error', message: `'${a}' has characters the server does not accept` };
  const text = [name.toUpperCase(), ...args].join(' ');
  if (text.length > 59) return { kind: 'error', message: 'request too long (the server reads at most 59 characters)' };
  return { kind: 'request', text };
}

export function helpText(program: ClientProgram): string[] {
  return commandsFor(program).map((c) => `  ${[c.name, ...c.args.map((a) => `<${a}>`)].join(' ').padEnd(22)} ${c.doc}`);
}

/** Tab completion of the command word: the completed line, or the candidates if ambiguous. */
export function complete(line: string, program: ClientProgram): { line: string; candidates: readonly string[] } {
  if (/\s/.test(line.trimStart())) return { line, candidates: [] };
  const prefix = line.trimStart().toLowerCase();
  const names = commandsFor(program)
    .map((c) => c.name)
    .filter((n) => n.startsWith(prefix));
  if (names.length === 1) return { line: `${names[0]} `, candidates: [] };
  return { line, candidates: names };
}
