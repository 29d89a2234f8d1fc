/**
 * The core's long-lived services, wired explicitly: each is built on first use from its stated
 * dependencies, and `close()` stops them in one stated order — the users of a connection before the
 * connection: runs, then notices, then ad-hoc commands, then the SSH pool.
 *
 * This replaces per-area `WeakMap<Core, …>` look-ups and calls made only for their side effect.
 * Options (tests point them at private copies or faster clocks) are set with `configure()` before
 * first use; the SSH pool also takes them afterwards.
 */
import type { Core } from './core.js';
import { HistoryKeeper, type KeeperOptions } from './history/keeper.js';
import { DEFAULT_NOTICE_OPTIONS, NoticeSender, type NoticeOptions } from './notices/sender.js';
import type { ProvisionOptions } from './provision/index.js';
import { RunsEngine } from './runs/engine.js';
import type { StepKinds } from './runs/step-kinds.js';
import { hostKeyLookup } from './ssh/hostkey-store.js';
import { SshPool, type SecretKind, type SshPoolOptions } from './ssh/pool.js';
import { stepKinds } from './steps.js';

export type SshTuning = Partial<Omit<SshPoolOptions, 'hostKeys' | 'secret'>>;

export interface ServiceOptions {
  ssh?: SshTuning;
  notices?: Partial<NoticeOptions>;
  provision?: ProvisionOptions;
  /** Replaces the step kinds of steps.ts (tests add a kind of their own). */
  stepKinds?: StepKinds;
  /** The history keeper's chunk sizes and schedule (tests make them small). */
  history?: Partial<KeeperOptions>;
}

/** An ad-hoc command in flight (ssh.exec), cancellable by id. */
export interface RunningExec {
  ac: AbortController;
  pending: number;
}

export interface Services {
  /** One SSH connection per host, reused by every command. Depends on: host-key pins, secrets. */
  readonly ssh: SshPool;
  /** What each kind of run step does (steps.ts): the checklists, the planner and the runs engine consult it. */
  readonly stepKinds: StepKinds;
  /** Guided runs. Depends on: stepKinds, ssh (or a replacement executor), the DB. Recovers interrupted runs when built. */
  readonly runs: RunsEngine;
  /** The notices sender (outbox → SMTP). Depends on: the DB, the SMTP settings and secret. */
  readonly notices: NoticeSender;
  /** Provisioning options (config paths, service manager, PostgreSQL); Debian defaults unless configured. */
  readonly provision: ProvisionOptions;
  /** Ad-hoc commands in flight, by id. */
  readonly adhoc: Map<string, RunningExec>;
  /** Prunes run logs by the retention policy and compacts the DB, in small steps. Depends on: the DB, the settings. */
  readonly history: HistoryKeeper;
  /** Options for services not built yet (and the SSH pool at any time). */
  configure(opts: ServiceOptions): void;
  /** Stops what was built, in the stated order. */
  close(): Promise<void>;
}

/** Secret-store key of a server's password or key passphrase. */
export const serverSecretKey = (serverId: number, kind: SecretKind): string => `server:${serverId}:${kind}`;

export function createServices(core: Core, initial: ServiceOptions = {}): Services {
  const opts: ServiceOptions = { ...initial };
  let ssh: SshPool | undefined;
  let kinds: StepKinds | undefined;
  let runs: RunsEngine | undefined;
  let notices: NoticeSender | undefined;
  let history: HistoryKeeper | undefined;
  const adhoc = new Map<string, RunningExec>();
  let closed = false;

  const services: Services = {
    get ssh() {
      ssh ??= new SshPool({
        hostKeys: hostKeyLookup(core),
        secret: (serverId, kind) => core.secrets.get(serverSecretKey(serverId, kind)),
        ...opts.ssh,
      });
      return ssh;
    },
    get stepKinds() {
      kinds ??= opts.stepKinds ?? stepKinds();
      return kinds;
    },
    get runs() {
      runs ??= new RunsEngine(core, { stepKinds: services.stepKinds });
      return runs;
    },
    get notices() {
      notices ??= new NoticeSender(core, { ...DEFAULT_NOTICE_OPTIONS, ...opts.notices });
      return notices;
    },
    get provision() {
      return opts.provision ?? {};
    },
    adhoc,
    get history() {
      history ??= new HistoryKeeper(core, opts.history);
      return history;
    },
    configure(o) {
      if (o.ssh) {
        opts.ssh = { ...opts.ssh, ...o.ssh };
        ssh?.configure(o.ssh);
      }
      if (o.notices) {
        if (notices) throw new Error('services.configure: the notices sender is already running; configure it before first use');
        opts.notices = { ...opts.notices, ...o.notices };
      }
      if (o.provision) opts.provision = o.provision;
      if (o.history) {
        if (history) throw new Error('services.configure: the history keeper is already built; configure it before first use');
        opts.history = o.history;
      }
      if (o.stepKinds) {
        if (kinds) throw new Error('services.configure: the step kinds are already in use; configure them before first use');
        opts.stepKinds = o.stepKinds;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Users of a connection first, the connection last.
      await history?.stop();
      await runs?.close();
      await notices?.stop();
      for (const r of adhoc.values()) r.ac.abort();
      await ssh?.close();
    },
  };
  return services;
}
