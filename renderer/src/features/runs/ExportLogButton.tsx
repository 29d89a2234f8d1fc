import { useApiMutation } from '../../api/queries.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { download } from '../transfer/TransferScreen.js';

/**
 * Saves the run's whole log as a text file (runs.exportLog), e.g. before the retention policy
 * prunes it. The file is made in the page, so it saves the same way in Electron and in a browser.
 */
export function ExportLogButton({ runId }: { runId: number }) {
  const toast = useToast();
  const exportLog = useApiMutation('runs.exportLog', {
    onSuccess: (log) => {
      download(log.fileName, log.text, 'text/plain;charset=utf-8');
      toast.success(log.prunedAt ? 'This run’s log was pruned: the file holds its facts only.' : `Saved ${log.fileName} (${log.lines.toLocaleString()} chunks of output).`);
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  return (
    <button className="btn" onClick={() => exportLog.mutate({ runId })} disabled={exportLog.isPending} data-testid="export-log">
      <Icon name="download" /> Export log
    </button>
  );
}
