// Recording files and share links (docs/recordings.md). A recording is a session spec, the
// learner's timed actions, the end time, the state-hash checkpoints a replay must reproduce, and
// the trace (carried for viewing and other tools; a replay regenerates it). The file is gzip of
// JSON; a share link is the spec and actions alone, raw-deflated, checksummed and base64url'd.
// Decoding treats its input as hostile and validates it completely — schema, bounds on every time
// and count, the program assembles — so a session that decodes can be opened: every failure is a
// RecordingError with a short message.

import { Gunzip, Inflate, deflateSync, gzipSync, strFromU8, strToU8 } from 'fflate';
import { z } from 'zod';
import type { TraceEvent } from '../ft/trace';
import { assembleProgram } from '../programs/index';
import { pathString, scenarioSchema, type Scenario } from '../sim/scenario';
import { actionSchema, type TimedAction } from './actions';
import { checkpointMismatch, SimSession, type Checkpoint } from './simSession';

export const RECORDING_FORMAT = 'lockstep-recording';
export const RECORDING_VERSION = 1;
/** The file extension: gzip of JSON, so `gzip -dc < x.lockstep` shows it. */
export const RECORDING_EXTENSION = '.lockstep';
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;
export const MAX_TRACE_EVENTS = 2_000_000;
export const MAX_ACTIONS = 10_000;
/** Actions whose work grows with every client: workload changes (up to 64 new clients each) and partitions from the clients. */
export const MAX_CLIENT_WIDE_ACTIONS = 1_000;
export const MAX_SOURCE_CHARS = 100_000;
/** The longest session a recording or link may hold (virtual ms): opening one replays it all. */
export const MAX_SESSION_MS = 4 * 60 * 60 * 1000;
/** A tour link replays its chapter at once, unsliced: chapters last about a virtual second. */
export const MAX_TOUR_LINK_MS = 60_000;
/** The share-link format this page writes: `2.` then base64url(deflate(JSON) ‖ CRC-32). */
export const SHARE_LINK_FORMAT = 2;
/** Assembler errors quoted in a message before "and N more". */
const MAX_ASM_ERROR_LINES = 3;
/** A link is pasted by hand: anything unpacking past this is not one we made. */
const MAX_LINK_BYTES = 32 * 1024 * 1024;
/** Input fed to the decompressors per push: one push can overshoot the cap by at most ~1032× this. */
const CHUNK = 64 * 1024;
/** Schema problems listed before "and N more". */
const MAX_ISSUE_LINES = 20;

export class RecordingError extends Error {
  override name = 'RecordingError';
}

export interface RecordingSpec {
  readonly scenario: Scenario;
  readonly source: string | null;
  readonly noBackup: boolean;
}

export interface Recording {
  readonly format: typeof RECORDING_FORMAT;
  readonly version: typeof RECORDING_VERSION;
  readonly title: string;
  /** The guided-tour chapter it belongs to (e.g. 'failover'), or null. */
  readonly chapter: string | null;
  readonly spec: RecordingSpec;
  readonly actions: readonly TimedAction[];
  /** The virtual time (ms) the recording ends at. */
  readonly endMs: number;
  readonly checkpoints: readonly Checkpoint[];
  readonly trace: readonly TraceEvent[];
}

/** What a share link carries: enough to re-run the session and show the sender's moment. */
export interface ShareLink {
  readonly v: 1;
  readonly chapter: string | null;
  /** The tour step within the chapter, or null. */
  readonly step: number | null;
  readonly spec: RecordingSpec;
  readonly actions: readonly TimedAction[];
  /** The virtual time (ms) the sender was viewing. */
  readonly at: number;
}

const specSchema = z
  .object({
    scenario: scenarioSchema,
    source: z.string().max(MAX_SOURCE_CHARS).nullable(),
    noBackup: z.boolean(),
  })
  .strict();

const actionsSchema = z
  .array(actionSchema)
  .max(MAX_ACTIONS, `more than ${MAX_ACTIONS.toLocaleString('en-US')} actions`)
  .superRefine((actions, ctx) => {
    let clientWide = 0;
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      if (i > 0 && a.at < actions[i - 1]!.at) {
        ctx.addIssue({ code: 'custom', path: [i, 'at'], message: `out of order: ${a.at} ms comes after an action at ${actions[i - 1]!.at} ms (actions must be sorted by time)` });
        return;
      }
      if ((a.kind === 'workload' || a.kind === 'partition-clients') && ++clientWide > MAX_CLIENT_WIDE_ACTIONS) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `more than ${MAX_CLIENT_WIDE_ACTIONS.toLocaleString('en-US')} changes of the automatic clients and partitions from the clients`,
        });
        return;
      }
    }
  });

/** A virtual time within a session, in ms. */
const sessionTime = z.number().min(0).max(MAX_SESSION_MS, `longer than ${MAX_SESSION_MS / 3_600_000} virtual hours`);

const checkpointSchema = z
  .object({
    at: sessionTime,
    vms: z.array(z.object({ id: z.string().max(64), icount: z.number().int().min(0), hash: z.string().max(128) }).strict()).max(64),
  })
  .strict();

const chapterSchema = z.string().min(1).max(100).nullable();

export const recordingSchema = z
  .object({
    format: z.literal(RECORDING_FORMAT),
    version: z.literal(RECORDING_VERSION),
    title: z.string().max(200),
    chapter: chapterSchema,
    spec: specSchema,
    actions: actionsSchema,
    endMs: sessionTime,
    checkpoints: z.array(checkpointSchema).max(100_000),
    trace: z.array(z.looseObject({ type: z.string(), t: z.number() })).max(MAX_TRACE_EVENTS),
  })
  .strict()
  .superRefine((r, ctx) => {
    const i = r.actions.findIndex((a) => a.at > r.endMs);
    if (i >= 0) ctx.addIssue({ code: 'custom', path: ['actions', i, 'at'], message: `${r.actions[i]!.at} ms is after the end of the recording (endMs ${r.endMs})` });
  });

export const shareLinkSchema = z
  .object({
    v: z.literal(1),
    chapter: chapterSchema,
    step: z.number().int().min(0).max(1000).nullable(),
    spec: specSchema,
    actions: actionsSchema,
    at: sessionTime,
  })
  .strict()
  .superRefine((l, ctx) => {
    const i = l.actions.findIndex((a) => a.at > l.at);
    if (i >= 0) ctx.addIssue({ code: 'custom', path: ['actions', i, 'at'], message: `${l.actions[i]!.at} ms is after the moment the link shows (at ${l.at})` });
    if (l.chapter !== null && l.step !== null && l.at > MAX_TOUR_LINK_MS) {
      ctx.addIssue({ code: 'custom', path: ['at'], message: `a tour link reaches at most ${MAX_TOUR_LINK_MS / 1000} virtual seconds` });
    }
  });

/**
 * Why the session's program cannot run, in a learner's words, or null if it assembles.
 * Every front door asks this before anything on screen is replaced.
 */
export function programProblem(spec: RecordingSpec): string | null {
  if (spec.source === null || spec.source === '') return null;
  const r = assembleProgram(spec.source);
  if (r.ok) return null;
  const shown = r.errors.slice(0, MAX_ASM_ERROR_LINES).map((e) => `${e.file ? `${e.file}:` : ''}${e.line}:${e.col}: ${e.message}`);
  const more = r.errors.length - shown.length;
  return `its program does not assemble (${shown.join('; ')}${more > 0 ? `; and ${more.toLocaleString('en-US')} more error${more === 1 ? '' : 's'}` : ''})`;
}

/** A recording of `session` as it stands (its spec, actions, checkpoints and trace, ending now). */
export function recordSession(session: SimSession, title: string, chapter: string | null = null): Recording {
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    title,
    chapter,
    spec: { scenario: session.spec.scenario, source: session.spec.source ?? null, noBackup: session.spec.noBackup ?? false },
    actions: [...session.actions],
    endMs: session.now,
    checkpoints: [...session.checkpoints],
    trace: [...session.trace],
  };
}

/** Re-run a recording from scratch to its end; `mismatch` is the first checkpoint the replay failed to match. */
export function replayRecording(r: Recording): { session: SimSession; mismatch: string | null } {
  let session: SimSession;
  try {
    session = new SimSession(r.spec, r.actions);
  } catch (err) {
    throw new RecordingError(`the recording's program does not assemble: ${messageOf(err)}`);
  }
  session.runTo(r.endMs);
  return { session, mismatch: checkpointMismatch(r.checkpoints, session.checkpoints) };
}

// ---- Recording files ------------------------------------------------------------------------

export function encodeRecording(r: Recording): Uint8Array {
  const file = { ...r, trace: packTrace(r.trace) };
  // mtime 0: the same recording always gives the same bytes (and fflate would read the clock).
  return gzipSync(strToU8(JSON.stringify(file)), { level: 6, mtime: 0 });
}

/** `maxBytes` caps the unpacked size (zip bombs); tests lower it. */
export function decodeRecording(bytes: Uint8Array, file = 'recording', maxBytes = MAX_DECOMPRESSED_BYTES): Recording {
  try {
    return decodeUnchecked(bytes, file, maxBytes);
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    throw new RecordingError(`${file}: could not be read: ${messageOf(err)}`);
  }
}

function decodeUnchecked(bytes: Uint8Array, file: string, maxBytes: number): Recording {
  if (!(bytes instanceof Uint8Array)) throw new RecordingError(`${file}: not a file's bytes`);
  if (bytes.length === 0) throw new RecordingError(`${file}: the file is empty`);
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  let text: string;
  if (gzipped) {
    text = strFromU8(gunzipCapped(bytes, file, maxBytes));
  } else {
    if (bytes.length > maxBytes) throw new RecordingError(`${file}: larger than ${mb(maxBytes)}, too large to be a recording`);
    text = strFromU8(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RecordingError(
      gzipped ? `${file}: the unpacked data is not JSON (${messageOf(err)})` : `${file}: not a Lockstep recording (neither gzip nor JSON)`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordingError(`${file}: not a Lockstep recording (the JSON is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}, not an object)`);
  }
  const obj = value as Record<string, unknown>;
  if (obj.format !== RECORDING_FORMAT) throw new RecordingError(`${file}: not a Lockstep recording ("format" is not "${RECORDING_FORMAT}")`);
  if (typeof obj.version === 'number' && obj.version > RECORDING_VERSION) {
    throw new RecordingError(`${file}: made by a newer Lockstep: version ${obj.version}, this page reads ${RECORDING_VERSION}`);
  }
  if (isPackedTrace(obj.trace)) obj.trace = unpackTrace(obj.trace, file);
  const r = recordingSchema.safeParse(obj);
  if (!r.success) throw new RecordingError(issueLines(r.error.issues, `${file}: `));
  const bad = programProblem(r.data.spec);
  if (bad) throw new RecordingError(`${file}: ${bad}`);
  return r.data as unknown as Recording;
}

/** Gunzip one gzip member, stopping as soon as the output passes the cap, and check its CRC-32 and size trailer. */
function gunzipCapped(bytes: Uint8Array, file: string, maxBytes: number): Uint8Array {
  if (bytes.length < 18) throw new RecordingError(`${file}: the gzip data is truncated`);
  const tail = bytes.length - 8;
  const crc = u32le(bytes, tail);
  const isize = u32le(bytes, tail + 4);
  const parts: Uint8Array[] = [];
  let size = 0;
  let members = 0;
  const g = new Gunzip((chunk) => {
    size += chunk.length;
    // Count as we go rather than trust ISIZE: it is the size mod 2^32, and anyone can write it.
    if (size > maxBytes) throw new RecordingError(`${file}: unpacks to more than ${mb(maxBytes)}, too large to be a recording`);
    parts.push(chunk);
  });
  g.onmember = () => members++;
  try {
    for (let i = 0; i < bytes.length; i += CHUNK) g.push(bytes.subarray(i, i + CHUNK), i + CHUNK >= bytes.length);
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    const m = messageOf(err);
    throw new RecordingError(`${file}: ${m === 'unexpected EOF' ? 'the gzip data is truncated' : `damaged gzip data (${m})`}`);
  }
  if (members > 0) throw new RecordingError(`${file}: holds several gzip members; a recording is one`);
  const out = concat(parts, size);
  if (isize !== out.length % 2 ** 32 || crc !== crc32(out)) throw new RecordingError(`${file}: the gzip data is damaged or truncated (its checksum does not match)`);
  return out;
}

// ---- The trace, column-wise -----------------------------------------------------------------
// Plain JSON spends most of a recording on repeated key names, repeated times and ever-growing
// counters. Stored per event shape (type + keys), one column per key, with a time column where
// null means "same as the event before" and integer columns as deltas when that is shorter, a
// 5-minute kv-server trace shrinks from ~7 MB to ~2.2 MB gzipped (docs/recordings.md).

interface TraceShape {
  readonly type: string;
  /** Every key of the event in order, including "type" and "t". */
  readonly keys: readonly string[];
}
type Column = { readonly values: readonly unknown[] } | { readonly deltas: readonly number[] };
interface PackedTrace {
  readonly encoding: 'columns';
  readonly count: number;
  readonly shapes: readonly TraceShape[];
  /** The shape index of each event, in order. */
  readonly shape: readonly number[];
  readonly t: readonly (number | null)[];
  /** Per shape, one column per key other than "type" and "t". */
  readonly columns: readonly (readonly Column[])[];
}

function packTrace(trace: readonly TraceEvent[]): PackedTrace {
  const index = new Map<string, number>();
  const shapes: TraceShape[] = [];
  const cols: unknown[][][] = [];
  const shape: number[] = [];
  const t: (number | null)[] = [];
  let prevT: number | undefined;
  for (const ev of trace) {
    const rec = ev as unknown as Record<string, unknown>;
    // Undefined values vanish in JSON anyway; leaving them out keeps the shapes honest.
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    const sig = `${ev.type}\u0000${keys.join('\u0000')}`;
    let s = index.get(sig);
    if (s === undefined) {
      s = shapes.length;
      index.set(sig, s);
      shapes.push({ type: ev.type, keys });
      cols.push(keys.filter((k) => k !== 'type' && k !== 't').map(() => []));
    }
    shape.push(s);
    t.push(ev.t === prevT ? null : ev.t);
    prevT = ev.t;
    const c = cols[s]!;
    let j = 0;
    for (const k of keys) if (k !== 'type' && k !== 't') c[j++]!.push(rec[k]);
  }
  return { encoding: 'columns', count: trace.length, shapes, shape, t, columns: cols.map((cs) => cs.map(packColumn)) };
}

function packColumn(values: unknown[]): Column {
  if (values.length < 2 || !values.every((v) => Number.isSafeInteger(v))) return { values };
  const nums = values as number[];
  const deltas = nums.map((v, i) => (i === 0 ? v : v - nums[i - 1]!));
  if (!deltas.every((d) => Number.isSafeInteger(d))) return { values };
  return JSON.stringify(deltas).length < JSON.stringify(values).length ? { deltas } : { values };
}

const packedTraceSchema = z
  .object({
    encoding: z.literal('columns'),
    count: z.number().int().min(0).max(MAX_TRACE_EVENTS),
    shapes: z.array(z.object({ type: z.string(), keys: z.array(z.string()).max(256) }).strict()).max(10_000),
    shape: z.array(z.number().int().min(0)).max(MAX_TRACE_EVENTS),
    t: z.array(z.number().nullable()).max(MAX_TRACE_EVENTS),
    columns: z.array(
      z.array(
        z.union([z.object({ values: z.array(z.unknown()) }).strict(), z.object({ deltas: z.array(z.number()) }).strict()], {
          error: 'expected {"values": [...]} or {"deltas": [numbers]}',
        }),
      ),
    ),
  })
  .strict();

function isPackedTrace(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unpackTrace(value: unknown, file: string): TraceEvent[] {
  const r = packedTraceSchema.safeParse(value);
  if (!r.success) throw new RecordingError(issueLines(r.error.issues, `${file}: `, ['trace']));
  const p = r.data;
  const bad = (path: PropertyKey[], message: string): never => {
    throw new RecordingError(`${file}: ${pathString(['trace', ...path])}: ${message}`);
  };
  if (p.shape.length !== p.count) bad(['shape'], `has ${p.shape.length} entries, expected count ${p.count}`);
  if (p.t.length !== p.count) bad(['t'], `has ${p.t.length} entries, expected count ${p.count}`);
  if (p.count > 0 && p.t[0] === null) bad(['t', 0], 'the first time cannot be null (null repeats the time before)');
  if (p.columns.length !== p.shapes.length) bad(['columns'], `has ${p.columns.length} entries, expected one per shape (${p.shapes.length})`);
  p.shapes.forEach((s, i) => {
    if (new Set(s.keys).size !== s.keys.length) bad(['shapes', i, 'keys'], 'repeats a key');
    if (!s.keys.includes('type') || !s.keys.includes('t')) bad(['shapes', i, 'keys'], 'must include "type" and "t"');
    if (p.columns[i]!.length !== s.keys.length - 2) bad(['columns', i], `has ${p.columns[i]!.length} columns, expected ${s.keys.length - 2}`);
  });
  const uses = new Array<number>(p.shapes.length).fill(0);
  p.shape.forEach((s, i) => {
    if (s >= p.shapes.length) bad(['shape', i], `no shape ${s}`);
    uses[s] = uses[s]! + 1;
  });
  const columns = p.columns.map((cs, i) =>
    cs.map((c, j) => {
      const col = 'values' in c ? c.values : undelta(c.deltas);
      if (col.length !== uses[i]) bad(['columns', i, j], `has ${col.length} values, expected ${uses[i]}`);
      return col;
    }),
  );
  const rows = new Array<number>(p.shapes.length).fill(0);
  const out: TraceEvent[] = new Array<TraceEvent>(p.count);
  let t = 0;
  for (let i = 0; i < p.count; i++) {
    const s = p.shape[i]!;
    const { type, keys } = p.shapes[s]!;
    const cs = columns[s]!;
    const row = rows[s]!;
    rows[s] = row + 1;
    t = p.t[i] ?? t;
    const entries: [string, unknown][] = [];
    let j = 0;
    for (const k of keys) entries.push([k, k === 'type' ? type : k === 't' ? t : cs[j++]![row]]);
    // fromEntries defines own properties, so a key "__proto__" cannot reach the prototype.
    out[i] = Object.fromEntries(entries) as unknown as TraceEvent;
  }
  return out;
}

function undelta(deltas: readonly number[]): number[] {
  const out = new Array<number>(deltas.length);
  let v = 0;
  for (let i = 0; i < deltas.length; i++) out[i] = v = i === 0 ? deltas[0]! : v + deltas[i]!;
  return out;
}

// ---- Share links ----------------------------------------------------------------------------
// Format 2 (written since links got a checksum): `2.` + base64url(deflate-raw(JSON) ‖ CRC-32 of
// the deflated bytes, 4 bytes big-endian). The checksum covers the bytes as sent, so any damage —
// a flipped bit, a cut, a changed character — is refused rather than opened as another session,
// and the base64url must be canonical (no stray bits in its last character). Format 1 (no prefix,
// no checksum) is still read, so links shared before stay usable; `linkHasChecksum` tells them apart.

/** The text after `#run=`. */
export function encodeShareLink(link: ShareLink): string {
  const body = { ...link, spec: { ...link.spec, scenario: minimizeScenario(link.spec.scenario) } };
  const packed = deflateSync(strToU8(JSON.stringify(body)), { level: 9 });
  const out = new Uint8Array(packed.length + 4);
  out.set(packed);
  new DataView(out.buffer).setUint32(packed.length, crc32(packed));
  return `${SHARE_LINK_FORMAT}.${toBase64Url(out)}`;
}

/** Whether a `#run=` text is in the checksummed format (an older link has none: damage to it cannot be told). */
export function linkHasChecksum(fragment: string): boolean {
  return linkText(fragment).startsWith(`${SHARE_LINK_FORMAT}.`);
}

function linkText(fragment: string): string {
  return fragment.replace(/^#/, '').replace(/^run=/, '');
}

/** Accepts the text after `#run=` (a leading `#` and `run=` are skipped). */
export function decodeShareLink(fragment: string): ShareLink {
  try {
    return decodeLinkUnchecked(fragment);
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    throw new RecordingError(`this link is damaged: ${messageOf(err)}`);
  }
}

function decodeLinkUnchecked(fragment: string): ShareLink {
  const damaged = (why: string): never => {
    throw new RecordingError(`this link is damaged: ${why}`);
  };
  if (typeof fragment !== 'string') damaged('it is not text');
  let text = linkText(fragment);
  if (text.length === 0) damaged('it is empty');
  if (text.length > (MAX_LINK_BYTES / 3) * 4) damaged('it is far too long');
  const dot = /^(\d{1,6})\./.exec(text);
  let bytes: Uint8Array;
  if (dot) {
    const format = Number(dot[1]);
    // We write the number plainly; '02.' is a changed link, not format 2.
    if (String(format) !== dot[1]) damaged(`it starts with an unknown format number (${dot[1]})`);
    if (format > SHARE_LINK_FORMAT) damaged(`made by a newer Lockstep (link format ${format}, this page reads up to ${SHARE_LINK_FORMAT})`);
    if (format !== SHARE_LINK_FORMAT) damaged(`it starts with an unknown format number (${dot[1]})`);
    text = text.slice(dot[0].length);
    const raw = fromBase64Url(text, true) ?? damaged('it holds characters a link of ours never has (was it cut or re-typed?)');
    if (raw.length < 5) damaged('it is cut short');
    const sum = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getUint32(raw.length - 4);
    bytes = raw.subarray(0, raw.length - 4);
    if (crc32(bytes) !== sum) damaged('its checksum does not match (was it cut short or changed?)');
  } else {
    bytes = fromBase64Url(text) ?? damaged('it holds characters a link of ours never has (was it cut or re-typed?)');
  }
  let json: string;
  try {
    json = strFromU8(inflateCapped(bytes));
  } catch (err) {
    if (err instanceof RecordingError) throw err;
    const m = messageOf(err);
    return damaged(m === 'unexpected EOF' ? 'it is cut short' : `its data does not unpack (${m})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return damaged('its data is not readable');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return damaged('its data is not a session');
  const v = (value as Record<string, unknown>).v;
  if (typeof v === 'number' && v > 1) damaged(`made by a newer Lockstep (link version ${v}, this page reads 1)`);
  const r = shareLinkSchema.safeParse(value);
  if (!r.success) return damaged(issueLines(r.error.issues, ''));
  const bad = programProblem(r.data.spec);
  if (bad) throw new RecordingError(`this link cannot be opened: ${bad}`);
  return r.data as unknown as ShareLink;
}

function inflateCapped(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const inf = new Inflate((chunk) => {
    size += chunk.length;
    if (size > MAX_LINK_BYTES) throw new RecordingError(`this link is damaged: it unpacks to more than ${mb(MAX_LINK_BYTES)}`);
    parts.push(chunk);
  });
  if (bytes.length === 0) inf.push(bytes, true);
  for (let i = 0; i < bytes.length; i += CHUNK) inf.push(bytes.subarray(i, i + CHUNK), i + CHUNK >= bytes.length);
  return concat(parts, size);
}

/**
 * The scenario less every key equal to what the schema would fill in, so links stay short.
 * Falls back to the whole scenario if the trimmed one would not parse back to the same thing.
 */
export function minimizeScenario(s: Scenario): Record<string, unknown> {
  const defaults = scenarioSchema.parse({ program: s.program, durationMs: s.durationMs });
  const trimmed = trim(s, defaults) as Record<string, unknown>;
  const back = scenarioSchema.safeParse(trimmed);
  return back.success && jsonEqual(back.data, s) ? trimmed : { ...s };
}

function trim(value: unknown, dflt: unknown): unknown {
  if (!isPlainObject(value) || !isPlainObject(dflt)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || (k !== 'program' && k !== 'durationMs' && jsonEqual(v, dflt[k]))) continue;
    out[k] = trim(v, dflt[k]);
  }
  return out;
}

// ---- Small helpers --------------------------------------------------------------------------

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const left = bytes.length - i;
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out.push(B64.charAt((n >> 18) & 63), B64.charAt((n >> 12) & 63));
    if (left > 1) out.push(B64.charAt((n >> 6) & 63));
    if (left > 2) out.push(B64.charAt(n & 63));
  }
  return out.join('');
}

/**
 * The bytes of unpadded base64url text, or null if it is not that. `canonical`: also null when the
 * last character carries bits past the data (so each byte string has exactly one text).
 */
export function fromBase64Url(text: string, canonical = false): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  if (canonical && text.length % 4 !== 0) {
    const last = text.charCodeAt(text.length - 1);
    const v = last < 128 ? B64_INDEX[last]! : -1;
    if (v < 0 || (v & (text.length % 4 === 2 ? 15 : 3)) !== 0) return null;
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    const k = Math.min(4, text.length - i);
    for (let j = 0; j < 4; j++) {
      const c = j < k ? text.charCodeAt(i + j) : 65; // 'A' = 0 pads the last group
      const v = c < 128 ? B64_INDEX[c]! : -1;
      if (v < 0) return null;
      n = (n << 6) | v;
    }
    out[o++] = (n >> 16) & 255;
    if (k > 2) out[o++] = (n >> 8) & 255;
    if (k > 3) out[o++] = n & 255;
  }
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as in gzip). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function issueLines(issues: readonly z.core.$ZodIssue[], prefix: string, root: PropertyKey[] = []): string {
  const lines = issues.slice(0, MAX_ISSUE_LINES).map((i) => `${prefix}${pathString([...root, ...i.path])}: ${i.message}`);
  if (issues.length > MAX_ISSUE_LINES) lines.push(`${prefix}… and ${issues.length - MAX_ISSUE_LINES} more problems`);
  return lines.join('\n');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
}

function mb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${Math.round(bytes / (1024 * 1024))} MB`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
