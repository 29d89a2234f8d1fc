/**
 * What runs in the background of a live app (not of a test's bare core): both shells call
 * startBackground(core) right after createCore().
 * - the notices sender: due notices go out on time, and whatever waited while offline goes out
 *   when SMTP answers again (without waiting for a screen to be opened);
 * - the runs engine's recovery: a run left running by a crash shows as interrupted at once;
 * - windows follow their linked runs (started / completed / extended notices).
 */
import type { Core } from './core.js';
import { linkRunsToWindows } from './windows/run-link.js';

export function startBackground(core: Core): void {
  void core.services.runs; // built now: it recovers the runs a crash left running
  const unlink = linkRunsToWindows(core);
  core.onClose(unlink);
  core.services.notices.start();
}
