// Clients of the replicated service. Each is a Jepsen-style process: one request at a time, its
// history recorded as invoke then ok (a reply) or info (no reply before the timeout: the request
// may or may not have taken effect, e.g. lost to a failover).

import { SERVICE, type Message, type NodeEnv, type NodeId } from '../ft/messages';
import { PROGRAMS, type ServerProgramName } from '../programs/catalog';
import { decodeFrame, encodeFrame } from '../programs/protocol';

export interface ClientOp {
  readonly client: number;
  readonly reqId: number;
  readonly text: string;
  readonly invoke: number;
  complete: number | null;
  reply: string | null;
  status: 'pending' | 'ok' | 'info';
  /** The VM whose reply arrived first. */
  from: NodeId | null;
}

export type Workload =
  | { readonly kind: 'scripted'; readonly requests: readonly { readonly at: number; readonly text: string }[] }
  | {
      readonly kind: 'random';
      readonly program: ServerProgramName;
      /** Mean think time between requests (virtual ms). */
      readonly thinkMs: number;
      readonly keys: number;
      readonly startAt: number;
      readonly stopAt: number;
    };

export class Client {
  readonly history: ClientOp[] = [];
  /** Invoke time of the first operation left out of `history` because it was full, or null. */
  truncatedAt: number | null = null;
  /** The most operations `history` keeps (a long interactive session stays bounded). */
  maxHistory = Infinity;
  private _nextReq = 1;
  private _current: ClientOp | null = null;
  /** The unwrapped number of the current request (its timeout names it). */
  private _currentN = 0;
  /** Scripted requests taken from `_script` so far. */
  private _scriptTaken = 0;
  private _timeout: { cancel(): void } | null = null;
  private _script: { at: number; text: string }[] = [];
  readonly nodeId: NodeId;

  constructor(
    readonly env: NodeEnv,
    readonly id: number,
    readonly workload: Workload,
    readonly timeoutMs: number,
  ) {
    this.nodeId = env.id;
    if (workload.kind === 'scripted') {
      this._script = [...workload.requests].sort((a, b) => a.at - b.at);
      this._scheduleScripted();
    } else {
      // startAt is a virtual time: a workload switched on at t starts then, not t ms later.
      env.after(Math.max(0, workload.startAt - env.now()) + env.rng.next() * workload.thinkMs, () => this.onTimer('random'), 'random');
    }
  }

  /** Send a request now (a user typing into the client terminal). Returns false if one is outstanding. */
  request(text: string): boolean {
    if (this._current) return false;
    const n = this._nextReq++;
    const reqId = n & 0xffff;
    const op: ClientOp = { client: this.id, reqId, text, invoke: this.env.now(), complete: null, reply: null, status: 'pending', from: null };
    this._current = op;
    this._currentN = n;
    if (this.history.length < this.maxHistory) this.history.push(op);
    else this.truncatedAt ??= op.invoke;
    this.env.trace({ type: 'client/invoke', client: this.id, reqId, text });
    this.env.send(SERVICE, { t: 'frame', frame: encodeFrame(this.id, reqId, text) });
    this._timeout = this.env.after(this.timeoutMs, () => this.onTimer('timeout', n), 'timeout', n);
    return true;
  }

  /** A timer fired (the simulator schedules timers as data: see NodeEnv.after). */
  onTimer(key: string, arg = 0): void {
    switch (key) {
      case 'random':
        this._nextRandom();
        return;
      case 'timeout': {
        // arg: the request's number; a request that completed meanwhile is not timed out.
        this._timeout = null;
        const op = this._current;
        if (!op || this._currentN !== arg) return;
        op.status = 'info';
        this._current = null;
        this.env.trace({ type: 'client/timeout', client: this.id, reqId: op.reqId });
        this._afterCompletion();
        return;
      }
      case 'script': {
        // arg: how many scripted requests had been taken when this was scheduled.
        const next = this._script[0];
        if (this._current || !next || this._scriptTaken !== arg) return;
        this._script.shift();
        this._scriptTaken++;
        this.request(next.text);
        return;
      }
      default:
        throw new Error(`unknown client timer ${key}`);
    }
  }

  receive(msg: Message, from: NodeId): void {
    if (msg.t !== 'frame') return;
    const f = decodeFrame(msg.frame);
    if (!f || f.client !== this.id) return;
    // Replies belong to the current request or a recent one (request ids wrap at 65536).
    let op: ClientOp | undefined = this._current?.reqId === f.reqId ? this._current : undefined;
    for (let i = this.history.length - 1; !op && i >= Math.max(0, this.history.length - 64); i--) {
      if (this.history[i]!.reqId === f.reqId) op = this.history[i];
    }
    if (!op) return;
    const duplicate = op.reply !== null || op.status === 'info';
    // A second reply may repeat the first (the paper leaves duplicates to TCP), never contradict it.
    const contradicts = duplicate && op.reply !== null && op.reply !== f.text;
    this.env.trace({ type: 'client/reply', client: this.id, reqId: f.reqId, text: f.text, from, duplicate, contradicts });
    if (duplicate || op !== this._current) return; // duplicates after failover are allowed (TCP would drop them)
    op.reply = f.text;
    op.complete = this.env.now();
    op.status = 'ok';
    op.from = from;
    this._current = null;
    this._timeout?.cancel();
    this._timeout = null;
    this._afterCompletion();
  }

  /** Stop issuing requests (an automatic workload switched off); the outstanding one completes. */
  stop(): void {
    this._stopped = true;
  }
  private _stopped = false;

  /** Switched off (its workload replaced): it starts no new request. */
  get stopped(): boolean {
    return this._stopped;
  }

  get busy(): boolean {
    return this._current !== null;
  }

  private _afterCompletion(): void {
    if (this.workload.kind === 'random') {
      const w = this.workload;
      this.env.after(this.env.rng.next() * 2 * w.thinkMs, () => this.onTimer('random'), 'random');
    } else {
      this._scheduleScripted();
    }
  }

  private _scheduleScripted(): void {
    const next = this._script[0];
    if (!next || this._current) return;
    const taken = this._scriptTaken;
    this.env.after(Math.max(0, next.at - this.env.now()), () => this.onTimer('script', taken), 'script', taken);
  }

  private _nextRandom(): void {
    const w = this.workload;
    if (w.kind !== 'random' || this._current || this._stopped || this.env.now() >= w.stopAt) return;
    const rng = this.env.rng;
    const key = `k${rng.int(0, w.keys - 1)}`;
    this.request(PROGRAMS[w.program].client.randomRequest(rng, key));
  }
}

/** The first id of the automatic workload's clients (the terminal's are 1, 2, …). */
export const FIRST_AUTO_CLIENT = 100;

/**
 * A session's clients, one numbering in both runtimes: the terminal's by the id typed, the
 * automatic workload's from FIRST_AUTO_CLIENT on, never reused. Switching the workload stops the
 * running automatic clients (their outstanding requests complete) without scanning the rest.
 */
export class ClientRoster {
  /** Every client, in the order added (stopped ones keep their history for the checkers). */
  readonly all: Client[] = [];
  private readonly _byId = new Map<number, Client>();
  private _maxId = 0;
  private _auto: Client[] = [];

  get(id: number): Client | undefined {
    return this._byId.get(id);
  }

  has(id: number): boolean {
    return this._byId.has(id);
  }

  get size(): number {
    return this.all.length;
  }

  values(): IterableIterator<Client> {
    return this.all.values();
  }

  add(c: Client): Client {
    this.all.push(c);
    this._byId.set(c.id, c);
    this._maxId = Math.max(this._maxId, c.id);
    return c;
  }

  /** Stop the automatic clients running, and start `count` new ones made by `make(id)`. */
  replaceAutomatic(count: number, make: (id: number) => Client): void {
    for (const c of this._auto) c.stop();
    this._auto = [];
    for (let i = 0; i < count; i++) this._auto.push(this.add(make(Math.max(FIRST_AUTO_CLIENT - 1, this._maxId) + 1)));
  }

  /** What a snapshot keeps of the roster beyond the clients themselves. */
  save(): { readonly maxClientId: number; readonly autoClients: readonly number[] } {
    return { maxClientId: this._maxId, autoClients: this._auto.map((c) => c.id) };
  }

  /** Rebuild from restored clients and `save()`'s data. */
  load(clients: readonly Client[], s: { readonly maxClientId: number; readonly autoClients: readonly number[] }): void {
    this.all.length = 0;
    this._byId.clear();
    for (const c of clients) this.add(c);
    this._maxId = s.maxClientId;
    this._auto = s.autoClients.map((id) => this._byId.get(id)!);
  }
}
