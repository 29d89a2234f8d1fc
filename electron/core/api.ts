/**
 * THE handler table: one handler per contract method. IPC (electron/main/ipc.ts) and HTTP
 * (electron/web/server.ts) both serve exactly this table through `dispatch`.
 */
import { contractsHandlers } from './contracts/handlers.js';
import { dbpatchHandlers } from './dbpatch/handlers.js';
import type { HandlerTable } from './handlers.js';
import { historyHandlers } from './history/handlers.js';
import { inventoryHandlers } from './inventory/handlers.js';
import { metricsHandlers } from './metrics/handlers.js';
import { provisionHandlers } from './provision/handlers.js';
import { proxyHandlers } from './proxy/handlers.js';
import { suspensionHandlers } from './suspension/handlers.js';
import { runsHandlers } from './runs/handlers.js';
import { sshHandlers } from './ssh/handlers.js';
import { systemHandlers } from './system.js';
import { windowsHandlers } from './windows/handlers.js';
import { noticesHandlers } from './notices/handlers.js';

export const handlers = {
  ...systemHandlers,
  ...inventoryHandlers,
  ...sshHandlers,
  ...runsHandlers,
  ...provisionHandlers,
  ...proxyHandlers,
  ...suspensionHandlers,
  ...windowsHandlers,
  ...noticesHandlers,
  ...metricsHandlers,
  ...dbpatchHandlers,
  ...historyHandlers,
  ...contractsHandlers,
} satisfies HandlerTable;
