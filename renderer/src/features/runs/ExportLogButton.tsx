import { useState } from 'react';
import { useApi } from '../../api/context.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { download } from '../transfer/TransferScreen.js';

/**
 * Saves the run's whole log as a text file (runs.exportLog), e.g. before the retention policy
 * prunes it. The file is made in the page, so it saves the same way in Electron and in a browser.
 */
export function ExportLogButton({ runId }: { runId: number }) {
  const api = useApi();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      const log = await api.call('runs.exportLog', { runId });
      download(log.fileName, log.text, 'text/plain;charset=utf-8');
      toast.success(log.prunedAt ? 'This run’s log was pruned: the file holds its facts only.' : `Saved ${log.fileName} (${log.lines.toLocaleString()} chunks of output).`);
    } catch (e) {
      toast.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <button className="btn" onClick={() => void go()} disabled={busy} data-testid="export-log">
      <Icon name="download" /> Export log
    </button>
  );
}
