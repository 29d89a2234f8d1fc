import type { HistoryStatus, historyMethods } from '../../../shared/contract/history.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { exportRunLog } from './export.js';
import { historyFigures, rebuildIncremental } from './history-store.js';
import { lastPruneAt, retention, setRetention } from './keeper.js';

function status(core: Core): HistoryStatus {
  return { retention: retention(core), ...historyFigures(core), lastPruneAt: lastPruneAt(core), busy: core.services.history.busy };
}

export const historyHandlers: Handlers<keyof typeof historyMethods> = {
  'history.status': (core) => status(core),
  'history.setRetention': (core, input) => {
    const before = retention(core);
    core.tx(() => {
      setRetention(core, input);
      core.audit.write(core.operator(), 'update', 'settings', null, { retention: before }, { retention: input });
    });
    core.events.emit('history.changed', { prunedRuns: 0 });
    return status(core);
  },
  'history.prune': (core) => core.services.history.prune(),
  'history.compact': async (core) => {
    const keeper = core.services.history;
    // A pass under way first: the rebuild must not interleave with its chunks.
    await keeper.idle();
    if (historyFigures(core).autoVacuum !== 'incremental') rebuildIncremental(core);
    await keeper.compact();
    return status(core);
  },
  'runs.exportLog': (core, { runId }) => exportRunLog(core, runId),
};
