// Scenario files (docs/scenarios.md): the program, the FT configuration and teaching switches,
// the network, the clients and the faults of one run. Parsing reports the file, the path within
// it and what is wrong.

import { z } from 'zod';
import { PROGRAM_NAMES } from '../programs/index';

/** A VM by role ('primary', 'backup': the current ones) or by id (A to H, then VM8, VM9, …: see World). */
const vmRef = z.string().regex(/^(primary|backup|[A-H]|VM\d{1,4})$/, 'a VM: primary, backup or an id such as A');
const source = z.enum(['timer', 'clock', 'random', 'packet-timing']);

const link = z
  .object({
    latencyMs: z.number().min(0).max(10_000),
    jitterMs: z.number().min(0).max(10_000),
    loss: z.number().min(0).max(1),
    bandwidthMbps: z.number().min(0),
  })
  .partial()
  .strict();

export const FAULT_KINDS = [
  'kill-primary',
  'kill-backup',
  'kill',
  'power-off-primary',
  'cut-channel',
  'heal',
  'partition-storage',
  'partition-clients',
  'slow-channel',
  'slow-backup',
  'pause',
  'resume',
  'restart-backup',
  'set-link',
  'drop-message',
] as const;

/** The links a learner can tune (docs/scenarios.md): the logging channel, storage, the clients' network. */
export const LINK_CLASSES = ['channel', 'storage', 'clients'] as const;

export const faultSchema = z.discriminatedUnion('kind', [
  z.object({ at: z.number().min(0), kind: z.literal('kill-primary') }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('kill-backup') }).strict(),
  // A VM named by id (the stage's menu on one VM): 'primary' and 'backup' name the current ones.
  z.object({ at: z.number().min(0), kind: z.literal('kill'), vm: vmRef }).strict(),
  // `vm`: only if that VM is the current primary (the stage's menu on one VM: a stale one is not).
  z.object({ at: z.number().min(0), kind: z.literal('power-off-primary'), vm: vmRef.optional() }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('cut-channel'), direction: z.enum(['both', 'to-backup', 'to-primary']).default('both') }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('heal') }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('partition-storage'), vm: vmRef }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('partition-clients'), vm: vmRef }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('slow-channel'), latencyMs: z.number().min(0).optional(), bandwidthMbps: z.number().min(0).optional() }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('slow-backup'), speed: z.number().gt(0).max(10) }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('pause'), vm: vmRef, forMs: z.number().min(0).optional() }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('resume'), vm: vmRef }).strict(),
  z.object({ at: z.number().min(0), kind: z.literal('restart-backup') }).strict(),
  // A link's latency, and loss on the clients' network: the logging channel (TCP) and the
  // storage link (iSCSI/FC) are reliable, so they only get slower.
  z
    .object({ at: z.number().min(0), kind: z.literal('set-link'), link: z.enum(LINK_CLASSES), latencyMs: z.number().min(0).max(1000).optional(), loss: z.number().min(0).max(0.9).optional(), bandwidthMbps: z.number().min(0.01).max(100_000).optional() })
    .strict()
    .refine((f) => f.loss === undefined || f.loss === 0 || f.link === 'clients', { message: 'loss applies only to the clients link: the logging channel and storage are reliable', path: ['loss'] }),
  /** Drop one message on the wire, by its trace id (`net/sent`): reliable links resend it, client links lose it. */
  z.object({ at: z.number().min(0), kind: z.literal('drop-message'), id: z.string().min(1).max(80) }).strict(),
]);

/** A request typed at the client terminal (a learner action). */
export const requestActionSchema = z
  .object({
    at: z.number().min(0),
    kind: z.literal('request'),
    client: z.number().int().min(1).max(99),
    text: z.string().min(1).max(59),
  })
  .strict();

/** A change of the automatic workload (a learner action). */
export const workloadActionSchema = z
  .object({
    at: z.number().min(0),
    kind: z.literal('workload'),
    count: z.number().int().min(0).max(64),
    perSecond: z.number().positive().max(1000),
  })
  .strict();

/** Anything a learner can do, at a virtual time: a fault, a typed request, a workload change. */
export const actionSchema = z.discriminatedUnion('kind', [...faultSchema.options, requestActionSchema, workloadActionSchema]);

const scripted = z
  .object({
    client: z.number().int().min(1).max(1000),
    at: z.number().min(0),
    request: z.string().min(1).max(59),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().default('scenario'),
    description: z.string().optional(),
    program: z.enum(PROGRAM_NAMES),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    durationMs: z.number().positive().max(600_000),
    ft: z
      .object({
        instructionsPerMs: z.number().positive().max(1e6),
        sliceMs: z.number().positive().max(100),
        primaryLogCapacity: z.number().int().positive(),
        backupLogCapacity: z.number().int().positive(),
        heartbeatMs: z.number().positive(),
        failureTimeoutMs: z.number().positive(),
        hashEveryMs: z.number().min(0),
        lagLimitMs: z.number().positive(),
        backupSpeed: z.number().positive().max(10),
        outputRule: z.boolean(),
        testAndSet: z.boolean(),
        unlogged: z.array(source),
      })
      .partial()
      .strict()
      .default({}),
    network: z.object({ channel: link, storage: link, clients: link }).partial().strict().default({}),
    clients: z
      .object({
        count: z.number().int().min(0).max(64).default(0),
        thinkMs: z.number().positive().default(20),
        keys: z.number().int().min(1).max(64).default(4),
        timeoutMs: z.number().positive().default(300),
        startMs: z.number().min(0).default(20),
        stopMs: z.number().min(0).optional(),
      })
      .strict()
      .default({ count: 0, thinkMs: 20, keys: 4, timeoutMs: 300, startMs: 20 }),
    requests: z.array(scripted).default([]),
    faults: z.array(faultSchema).default([]),
    /** Learner actions, applied as the page applies them (after every event due by their time). */
    actions: z.array(actionSchema).default([]),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Fault = Scenario['faults'][number];

export class ScenarioError extends Error {}

export function pathString(path: readonly PropertyKey[]): string {
  let s = '$';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return s;
}

/** Validate a parsed scenario object; errors name the file and the path within it. */
export function validateScenario(value: unknown, file = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${file}: ${pathString(i.path)}: ${i.message}`);
    throw new ScenarioError(lines.join('\n'));
  }
  return r.data;
}

/** Parse scenario JSON text. */
export function parseScenario(text: string, file = 'scenario'): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(`${file}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return validateScenario(value, file);
}
