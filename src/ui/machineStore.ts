// The first page's store: the latest view of the machine, and the worker connection.
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { LoadResult, MachineView, MachineWorkerApi } from '../workers/machineWorkerApi';

export interface ClientLine {
  readonly dir: 'req' | 'rep';
  readonly reqId: number;
  readonly text: string;
}

interface MachineState {
  view: MachineView | null;
  errors: readonly string[];
  client: readonly ClientLine[];
  api: Comlink.Remote<MachineWorkerApi> | null;
}

export const useMachineStore = create<MachineState>(() => ({ view: null, errors: [], client: [], api: null }));

type ConsoleSink = (chunk: string, reset: boolean) => void;
let consoleSink: ConsoleSink | null = null;
let pendingConsole = '';

/** The console component registers here; output arrives imperatively, never through React state. */
export function setConsoleSink(sink: ConsoleSink | null): void {
  consoleSink = sink;
  if (sink && pendingConsole) {
    sink(pendingConsole, false);
    pendingConsole = '';
  }
}

function writeConsole(chunk: string, reset: boolean): void {
  if (consoleSink) consoleSink(chunk, reset);
  else pendingConsole = reset ? chunk : pendingConsole + chunk;
}

export async function connectMachine(): Promise<void> {
  if (useMachineStore.getState().api) return;
  const worker = new Worker(new URL('../workers/machine.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<MachineWorkerApi>(worker);
  useMachineStore.setState({ api });
  await loadProgram('kv-server');
  await api.subscribe(
    Comlink.proxy((v: MachineView) => {
      if (v.consoleChunk) writeConsole(v.consoleChunk, false);
      const client = v.replies.length
        ? [...useMachineStore.getState().client, ...v.replies.map((r) => ({ dir: 'rep' as const, ...r }))].slice(-50)
        : useMachineStore.getState().client;
      useMachineStore.setState({ view: v, client });
    }),
  );
}

export async function loadProgram(name: string, source?: string): Promise<LoadResult> {
  const api = useMachineStore.getState().api;
  if (!api) return { ok: false, errors: ['not connected'] };
  writeConsole('', true);
  const r = await api.load(name, source);
  useMachineStore.setState({ errors: r.ok ? [] : r.errors, client: [] });
  return r;
}

export async function sendRequest(text: string): Promise<void> {
  const api = useMachineStore.getState().api;
  if (!api) return;
  const reqId = await api.send(text);
  useMachineStore.setState((s) => ({ client: [...s.client, { dir: 'req' as const, reqId, text }].slice(-50) }));
}
