/**
 * One analysed row per deployment and rollback, kept up to date lane by lane (application ×
 * environment): what a deployment's row says depends only on its lane's runs and links, the planned
 * windows of its application and the failure window, so when one of those changes (the triggers of
 * migrations/0016 mark the lane dirty) only that lane is analysed again. The keys then read a time
 * range of rows (metrics-store.ts, readDeploys), whatever the length of the history.
 */
import type { Core } from '../core.js';
import { analyse } from './history.js';
import { cacheFinalRuns, dirtyLanes, readHistory, writeLane } from './metrics-store.js';

/** Caches the runs that became final and analyses the lanes they (or a link, a window, the window setting) changed. */
export function refreshAnalysis(core: Core, windowHours: number): void {
  core.tx(() => {
    cacheFinalRuns(core);
    for (const lane of dirtyLanes(core, windowHours)) {
      const history = readHistory(core, { environmentIds: [lane.environmentId], applicationId: lane.applicationId });
      writeLane(core, lane, windowHours, analyse(history, windowHours * 3_600_000).values());
    }
  });
}
