import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput, PuestaApi } from '../../../shared/contract/index.js';
import { detectApi } from './client.js';

const ApiContext = createContext<PuestaApi | null>(null);

export function ApiProvider({ api, children }: { api?: PuestaApi; children: ReactNode }) {
  const [value] = useState<PuestaApi>(() => api ?? detectApi());
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

/** The API, whatever the shell (Electron IPC or HTTP). */
export function useApi(): PuestaApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() outside <ApiProvider>');
  return api;
}

/** Subscribes to one event kind for the life of the component. */
export function useEvent<E extends EventName>(event: E, listener: (p: EventPayload<E>) => void): void {
  const api = useApi();
  useEffect(() => api.on(event, listener), [api, event, listener]);
}

/** Calls a method and keeps its result; `reload()` calls again. */
export function useQuery<M extends MethodName>(method: M, input: MethodInput<M>, deps: unknown[] = []) {
  const api = useApi();
  const [data, setData] = useState<MethodOutput<M> | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const [loading, setLoading] = useState(true);
  const key = JSON.stringify(input);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await api.call(method, JSON.parse(key) as MethodInput<M>));
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  }, [api, method, key, ...deps]); // deps: caller-supplied extra dependencies
  useEffect(() => void reload(), [reload]);
  return { data, error, loading, reload };
}
