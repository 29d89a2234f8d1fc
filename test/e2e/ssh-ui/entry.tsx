/**
 * A page that mounts only the SSH components, for test/e2e/ssh-ui.test.ts (bundled with esbuild
 * and served by the real browser shell). #server=<id> picks the server of the connection panel.
 */
import { createRoot } from 'react-dom/client';
import { ApiProvider } from '../../../renderer/src/api/context.js';
import { QueryProvider } from '../../../renderer/src/api/queries.js';
import { AdHocCommand } from '../../../renderer/src/features/ssh/AdHocCommand.js';
import { ServerConnectionPanel } from '../../../renderer/src/features/ssh/ServerConnectionPanel.js';

const serverId = Number(/server=(\d+)/.exec(location.hash)?.[1] ?? '0');
const view = /view=(\w+)/.exec(location.hash)?.[1] ?? 'panel';

createRoot(document.getElementById('root')!).render(
  <ApiProvider>
    <QueryProvider>
      <main className="shell" style={{ padding: 16 }}>
        {view === 'panel' ? <ServerConnectionPanel serverId={serverId} /> : <AdHocCommand />}
      </main>
    </QueryProvider>
  </ApiProvider>,
);
