/**
 * The history keeper: applies the retention policy in the background without blocking the app.
 *
 * The SQLite connection is synchronous and shared by every request, so the keeper never holds it
 * for long: it deletes at most `chunkLines` log rows per transaction and yields to the event loop
 * between chunks (a request that arrives meanwhile is answered before the next chunk). Free pages
 * go back to the disk the same way, `vacuumPages` at a time (incremental auto-vacuum). A pass runs
 * shortly after start and then every `everyMs`; Settings can ask for one now.
 */
import type { RetentionSettings } from '../../../shared/contract/history.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';
import { autoVacuumMode, deleteLogChunk, markPruned, prunableRuns, vacuumStep } from './history-store.js';

export interface KeeperOptions {
  /** Log rows deleted per transaction. */
  chunkLines: number;
  /** Runs looked up per query. */
  chunkRuns: number;
  /** Free pages returned to the disk per step. */
  vacuumPages: number;
  /** First pass after start, then every everyMs. */
  firstMs: number;
  everyMs: number;
}

export const DEFAULT_KEEPER_OPTIONS: KeeperOptions = { chunkLines: 2_000, chunkRuns: 20, vacuumPages: 256, firstMs: 60_000, everyMs: 6 * 3_600_000 };

const SETTINGS_KEY = 'history.retention';
/** Nothing is pruned until the operator chooses a policy. */
const NO_POLICY: RetentionSettings = { keepDays: null, keepRuns: null };
const LAST_PRUNE_KEY = 'history.lastPruneAt';

export function retention(core: Core): RetentionSettings {
  return { ...NO_POLICY, ...core.settings.getJson<Partial<RetentionSettings>>(SETTINGS_KEY, {}) };
}

export function setRetention(core: Core, r: RetentionSettings): void {
  core.settings.setJson(SETTINGS_KEY, r);
}

export function lastPruneAt(core: Core): string | null {
  return core.settings.get(LAST_PRUNE_KEY);
}

/** Lets whatever waits on the event loop (requests, SSH output) run before the next chunk. */
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface PruneOutcome {
  runs: number;
  lines: number;
  at: string;
}

export class HistoryKeeper {
  private readonly opts: KeeperOptions;
  private pass: Promise<PruneOutcome> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly core: Core,
    opts: Partial<KeeperOptions> = {},
  ) {
    this.opts = { ...DEFAULT_KEEPER_OPTIONS, ...opts };
  }

  get busy(): boolean {
    return this.pass !== null;
  }

  /** Background passes: one soon after start, then periodically. */
  start(): void {
    if (this.timer || this.stopped) return;
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        this.prune()
          .catch((e: unknown) => console.error('[puesta] pruning the run history failed:', e))
          .finally(() => !this.stopped && schedule(this.opts.everyMs));
      }, ms);
      this.timer.unref();
    };
    schedule(this.opts.firstMs);
  }

  /** One pass (a pass already under way is joined, not doubled). */
  prune(): Promise<PruneOutcome> {
    this.pass ??= this.run().finally(() => {
      this.pass = null;
    });
    return this.pass;
  }

  /** Resolves when no pass is under way. */
  async idle(): Promise<void> {
    await this.pass?.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pass?.catch(() => undefined);
  }

  private async run(): Promise<PruneOutcome> {
    const { core, opts } = this;
    const policy = retention(core);
    const at = nowIso();
    let runs = 0;
    let lines = 0;
    // A run is marked in the transaction that deletes its last rows, so it leaves the candidates;
    // `done` only guards the loop should a mark not take.
    const done = new Set<number>();
    for (;;) {
      const ids = prunableRuns(core, policy, new Date(at), opts.chunkRuns).filter((id) => !done.has(id));
      if (!ids.length || this.stopped || !core.db.open) break;
      for (const id of ids) {
        for (;;) {
          if (this.stopped || !core.db.open) return { runs, lines, at };
          const n = core.tx(() => {
            const gone = deleteLogChunk(core, id, opts.chunkLines);
            if (gone < opts.chunkLines) markPruned(core, id, at);
            return gone;
          });
          lines += n;
          await yieldNow();
          if (n < opts.chunkLines) break;
        }
        done.add(id);
        runs++;
      }
    }
    if (runs) {
      core.settings.set(LAST_PRUNE_KEY, at);
      core.events.emit('history.changed', { prunedRuns: runs });
    }
    await this.compact();
    return { runs, lines, at };
  }

  /** Returns free pages to the disk in small steps (a no-op unless the file is in incremental mode). */
  async compact(): Promise<void> {
    const { core } = this;
    if (!core.db.open || autoVacuumMode(core) !== 'incremental') return;
    let free = Number.POSITIVE_INFINITY;
    while (free > 0 && !this.stopped && core.db.open) {
      const left = vacuumStep(core, this.opts.vacuumPages);
      if (left >= free) break;
      free = left;
      await yieldNow();
    }
  }
}
