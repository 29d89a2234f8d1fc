import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { EventName, EventPayload, PuestaApi } from '../../../shared/contract/index.js';
import { detectApi } from './client.js';

const ApiContext = createContext<PuestaApi | null>(null);

export function ApiProvider({ api, children }: { api?: PuestaApi; children: ReactNode }) {
  const [value] = useState<PuestaApi>(() => api ?? detectApi());
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

/** The API, whatever the shell (Electron IPC or HTTP). Reads go through `useApiQuery` (queries.tsx); this is for actions. */
export function useApi(): PuestaApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() outside <ApiProvider>');
  return api;
}

/** Subscribes to one event kind for the life of the component: for streams (logs, output), not for refreshing reads. */
export function useEvent<E extends EventName>(event: E, listener: (p: EventPayload<E>) => void): void {
  const api = useApi();
  useEffect(() => api.on(event, listener), [api, event, listener]);
}
