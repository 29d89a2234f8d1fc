/**
 * A run's whole log as one text file: a header with the run's facts, then each cell's output
 * (step × host × attempt) in one piece, cells in the order they began — how the log panes show it,
 * without the interleaving of hosts that ran at the same time.
 */
import type { LogExport } from '../../../shared/contract/history.js';
import type { Core } from '../core.js';
import { getRun } from '../runs/run-store.js';
import { exportPage, type ExportLine } from './history-store.js';

const PAGE = 5_000;

/** Safe in a file name on every OS. */
const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'x';

export function exportRunLog(core: Core, runId: number): LogExport {
  const run = getRun(core, runId);
  // what the writer still holds is part of the log the operator saw
  core.services.runs.logs.flush();
  const cells = new Map<string, { head: string; texts: string[] }>();
  let lines = 0;
  let afterId = 0;
  for (;;) {
    const page = exportPage(core, runId, afterId, PAGE);
    for (const l of page) {
      const key = `${l.stepIndex}|${l.serverId ?? 0}|${l.attempt}`;
      let cell = cells.get(key);
      if (!cell) cells.set(key, (cell = { head: cellHead(l), texts: [] }));
      cell.texts.push(l.text);
    }
    lines += page.length;
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  const header = [
    `# Puesta run #${run.id}: ${run.kind} of ${run.applicationName} ${run.releaseKey} on ${run.environmentName}`,
    `# ${run.state}; started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}; operator ${run.operator}`,
    run.logPrunedAt ? `# The log was pruned on ${run.logPrunedAt} by the retention policy; the step results are kept.` : null,
  ].filter((x) => x !== null);
  const body = [...cells.values()].map((c) => {
    const text = c.texts.join('');
    return `${c.head}\n${text}${text.endsWith('\n') || !text ? '' : '\n'}`;
  });
  return {
    runId: run.id,
    fileName: `puesta-run-${run.id}-${slug(run.applicationName)}-${slug(run.environmentName)}.log`,
    text: [header.join('\n'), ...body].join('\n'),
    lines,
    prunedAt: run.logPrunedAt,
  };
}

function cellHead(l: ExportLine): string {
  const host = l.serverId === null ? 'manual' : (l.serverName ?? `server ${l.serverId}`);
  return `## step ${l.stepIndex + 1} ${l.stepKey ?? ''} on ${host}${l.attempt ? `, attempt ${l.attempt}` : ''}`;
}
