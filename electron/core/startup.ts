/**
 * What runs in the background of a live app (not of a test's bare core): both shells call
 * startBackground(core) right after createCore().
 * - the notices sender: due notices go out on time, and whatever waited while offline goes out
 *   when SMTP answers again (without waiting for a screen to be opened);
 * - the runs engine's recovery: a run left running by a crash shows as interrupted at once;
 * - windows follow their linked runs (started / completed / extended notices);
 * - the history keeper prunes run logs by the retention policy and compacts the DB, in small steps;
 * - the contract lifecycle evaluator (contracts/evaluator.ts).
 */
import type { Core } from './core.js';
import { startEvaluator } from './contracts/evaluator.js';
import { linkRunsToWindows } from './windows/run-link.js';

export function startBackground(core: Core): void {
  void core.services.runs; // built now: it recovers the runs a crash left running
  const unlink = linkRunsToWindows(core);
  core.onClose(unlink);
  core.services.notices.start();
  core.services.history.start();
  // contracts: reminders, stages and due suspensions at launch and every hour (catches up after sleep)
  core.onClose(startEvaluator(core));
}
