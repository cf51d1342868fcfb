import { describe, expect, it } from 'vitest';
import { STORAGE, asNodeId as nid, clientNode, type Message, type NodeEnv, type NodeId, type TimerTarget } from '../ft/messages';
import type { TraceBody } from '../ft/trace';
import { Rng } from '../util/rng';
import type { FaultVm } from './faults';
import { Scheduler } from './scheduler';
import { Services, actOn, type VmPlacement } from './services';

/** Services on a bare scheduler, with a placement that writes down what it was asked to do. */
function setup(carriesChannel: boolean) {
  const sched = new Scheduler();
  sched.dispatch = (kind, data) => services.net.dispatch(kind, data);
  const trace: (TraceBody & { t: number })[] = [];
  const placed: NodeId[] = [];
  const envFor: NodeId[] = [];
  const env = (id: NodeId): NodeEnv => {
    envFor.push(id);
    return {
      id,
      rng: new Rng(envFor.length),
      now: () => sched.now,
      after: (ms, fn) => {
        const t = sched.after(ms, fn);
        return { cancel: () => sched.cancel(t) };
      },
      send: (to: NodeId, msg: Message) => services.net.send(id, to, msg),
      trace: (body) => trace.push({ ...body, t: sched.now }),
    };
  };
  const services = new Services({
    sched,
    netRng: new Rng(1),
    trace: (body, at) => trace.push({ ...body, t: at }),
    env,
    placed: (id: NodeId, _node: TimerTarget) => placed.push(id),
    program: 'kv-server',
    clientTimeoutMs: 300,
    maxHistoryPerClient: 7,
  });
  const log: string[] = [];
  const channelCuts = new Set<string>();
  const vms: FaultVm[] = [
    { id: nid('A'), role: 'primary', generation: 0, paused: false },
    { id: nid('B'), role: 'backup', generation: 0, paused: false },
  ];
  const placement: VmPlacement = {
    vmList: () => vms,
    kill: (id) => log.push(`kill ${id}`),
    powerOff: (id) => log.push(`power-off ${id}`),
    pause: (id) => log.push(`pause ${id}`),
    resume: (id) => log.push(`resume ${id}`),
    setSpeedFactor: () => false,
    restartBackup: () => nid('C'),
    ...(carriesChannel
      ? {
          // (only between two of its VMs, as the Web Workers runtime's)
          blockChannel: (from: NodeId, to: NodeId) => vms.some((v) => v.id === from) && vms.some((v) => v.id === to) && (channelCuts.add(`${from}>${to}`), true),
          channelCut: () => channelCuts.size > 0,
          healChannel: () => (channelCuts.clear(), log.push('heal channel')),
          dropOnChannel: (id: string) => id === 'A#7',
          channelChanged: () => log.push('channel changed'),
        }
      : {}),
  };
  return { sched, services, host: services.faultHost(placement), trace, placed, envFor, log, channelCuts };
}

describe('the world around the VMs (one copy for both runtimes)', () => {
  it('storage is made first, then clients by id; each node gets its environment and is placed; the automatic clients number from 100', () => {
    const { services, placed, envFor } = setup(false);
    expect(services.client(1)).toBe(services.client(1));
    services.setWorkload(2);
    expect(services.clients.map((c) => c.id)).toEqual([1, 100, 101]);
    expect(services.clients.every((c) => c.maxHistory === 7)).toBe(true);
    expect(envFor).toEqual([STORAGE, clientNode(1), clientNode(100), clientNode(101)]);
    expect(placed).toEqual(envFor);
    services.setWorkload(1);
    expect(services.clients.map((c) => c.id)).toEqual([1, 100, 101, 102]);
  });

  it('a cut on a logging channel the placement carries is its own; any other cut is the network\'s', () => {
    const { host, services, channelCuts, log, sched } = setup(true);
    expect(actOn(host, { at: 0, kind: 'heal' }, 0, () => undefined)).toBeNull();
    actOn(host, { at: 0, kind: 'cut-channel', direction: 'both' }, 0, () => undefined);
    expect([...channelCuts].sort()).toEqual(['A>B', 'B>A']);
    expect(services.net.blocked.size).toBe(0);
    expect(actOn(host, { at: 0, kind: 'heal' }, 0, () => undefined)).toBe('healed every cut and partition');
    expect(channelCuts.size).toBe(0);
    expect(log).toContain('heal channel');
    // Storage is on the network, whoever carries the channel.
    actOn(host, { at: 0, kind: 'partition-storage', vm: 'primary' }, 0, () => undefined);
    expect(services.net.blocked.size).toBe(2);
    expect(actOn(host, { at: 0, kind: 'heal' }, 0, () => undefined)).not.toBeNull();
    expect(services.net.blocked.size).toBe(0);
    // A message dropped: the network's if it is on it, else the placement's channel's.
    expect(actOn(host, { at: 0, kind: 'drop-message', id: 'A#7' }, 0, () => undefined)).not.toBeNull();
    expect(actOn(host, { at: 0, kind: 'drop-message', id: 'A#8' }, 0, () => undefined)).toBeNull();
    actOn(host, { at: 0, kind: 'slow-channel', latencyMs: 9 }, 0, () => undefined);
    expect(log).toContain('channel changed');
    expect(services.net.links.channel.latencyMs).toBe(9);
    expect(sched.now).toBe(0);
  });

  it('without such a channel the network cuts the logging channel too; every action is traced as a fault, "no effect" when it did nothing', () => {
    const { host, services, log } = setup(false);
    const said: string[] = [];
    const note = (b: TraceBody, at: number): void => void said.push(`${at} ${b.type === 'fault' ? `${b.kind}: ${b.detail}` : b.type}`);
    actOn(host, { at: 5, kind: 'cut-channel', direction: 'to-backup' }, 5, note);
    expect([...services.net.blocked]).toEqual(['A>B']);
    actOn(host, { at: 6, kind: 'slow-backup', speed: 0.5 }, 6, note);
    actOn(host, { at: 7, kind: 'kill-backup' }, 7, note);
    expect(said).toEqual(['5 cut-channel: cut the logging channel to-backup between A and B', '6 slow-backup: no effect', '7 kill-backup: killed B']);
    expect(log).toEqual(['kill B']);
  });
});
