/**
 * The renderer's one data layer: every read goes through a TanStack Query cache keyed by
 * `[method, input]`, and server events invalidate cache entries through ONE table
 * (`EVENT_INVALIDATES` in invalidation.ts), subscribed once at the root by `<QueryProvider>`.
 *
 * The cache owns ordering: when the input of a query changes, an answer to the old input lands
 * under the old key and can never overwrite the rows of the new one (test/e2e/query-race.test.ts).
 * Keep `useApi().call` for one-off actions and `useEvent` for true streams (logs, ssh output).
 */
import {
  keepPreviousData,
  QueryClient,
  QueryClientProvider,
  useMutation,
  useQuery,
  useQueryClient,
  type Query,
  type UseMutationOptions,
  type UseQueryOptions,
} from '@tanstack/react-query';
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { EventName, MethodInput, MethodName, MethodOutput, PuestaApi } from '../../../shared/contract/index.js';
import { useApi } from './context.js';
import { EVENT_INVALIDATES, matches, queryKey, type ApiQueryKey, type MethodPattern } from './invalidation.js';

export { EVENT_INVALIDATES, queryKey, type ApiQueryKey, type MethodPattern };

const keyMatches = (patterns: readonly MethodPattern[]) => (q: Query) => {
  const m = q.queryKey[0];
  return typeof m === 'string' && patterns.some((p) => matches(p, m));
};

/** Events arrive in bursts (progress a few times per second): invalidations within this many ms are merged. */
const COALESCE_MS = 100;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Fresh on every mount, as screens always were; events refresh what stays open.
        staleTime: 0,
        // The local core answers or refuses at once; a retry would only hide its error for seconds.
        retry: false,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
}

/** Subscribes the event table for the life of the client. */
function useEventInvalidation(client: QueryClient): void {
  const api = useApi();
  useEffect(() => {
    const pending = new Set<MethodPattern>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const patterns = [...pending];
      pending.clear();
      void client.invalidateQueries({ predicate: keyMatches(patterns) });
    };
    const offs = (Object.keys(EVENT_INVALIDATES) as EventName[]).map((event) =>
      api.on(event, (payload) => {
        const of = EVENT_INVALIDATES[event] as (p: unknown) => readonly MethodPattern[];
        for (const p of of(payload)) pending.add(p);
        timer ??= setTimeout(flush, COALESCE_MS);
      }),
    );
    return () => {
      for (const off of offs) off();
      if (timer) clearTimeout(timer);
    };
  }, [api, client]);
}

/** The cache and its event subscriptions; mount once, inside `<ApiProvider>`. */
export function QueryProvider({ client, children }: { client?: QueryClient; children: ReactNode }) {
  const [value] = useState(() => client ?? createQueryClient());
  useEventInvalidation(value);
  return <QueryClientProvider client={value}>{children}</QueryClientProvider>;
}

export type ApiQueryOptions<M extends MethodName, T = MethodOutput<M>> = Omit<
  UseQueryOptions<MethodOutput<M>, Error, T, ApiQueryKey<M>>,
  'queryKey' | 'queryFn'
>;

/**
 * Key and fetcher of one call, for `useQueries` (several reads whose number varies). The query's
 * signal goes to the call, so a read nobody waits for any more is cancelled in the core too.
 */
export function apiQueryOptions<M extends MethodName>(api: PuestaApi, method: M, input: MethodInput<M>) {
  return { queryKey: queryKey(method, input), queryFn: ({ signal }: { signal: AbortSignal }) => api.call(method, input, { signal }) };
}

/**
 * Reads `method(input)` through the cache. While a new input loads, the previous input's data
 * stays on screen (`isPlaceholderData`), as lists did before; pass `placeholderData: undefined` to opt out.
 */
export function useApiQuery<M extends MethodName, T = MethodOutput<M>>(method: M, input: MethodInput<M>, options?: ApiQueryOptions<M, T>) {
  const api = useApi();
  return useQuery({
    ...apiQueryOptions(api, method, input),
    placeholderData: keepPreviousData,
    ...options,
  });
}

export type ApiMutationOptions<M extends MethodName> = Omit<UseMutationOptions<MethodOutput<M>, Error, MethodInput<M>>, 'mutationFn'> & {
  /** Reads this change makes stale, for methods whose change no event announces. */
  invalidates?: readonly MethodPattern[];
};

/** Calls a changing method; `invalidates` refreshes the reads it affects once it succeeded. */
export function useApiMutation<M extends MethodName>(method: M, options: ApiMutationOptions<M> = {}) {
  const api = useApi();
  const invalidate = useInvalidate();
  const { invalidates, onSuccess, ...rest } = options;
  return useMutation({
    mutationFn: (input: MethodInput<M>) => api.call(method, input),
    onSuccess: async (...args) => {
      if (invalidates?.length) await invalidate(...invalidates);
      await onSuccess?.(...args);
    },
    ...rest,
  });
}

/** Marks the matching reads stale (open ones refetch): `invalidate('blackouts.*', 'windows.list')`. */
export function useInvalidate(): (...patterns: MethodPattern[]) => Promise<void> {
  const client = useQueryClient();
  return useCallback((...patterns: MethodPattern[]) => client.invalidateQueries({ predicate: keyMatches(patterns) }), [client]);
}
