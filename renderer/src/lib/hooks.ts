import { useCallback, useEffect, useRef, useState } from 'react';
import { useToast } from '../components/Toasts.js';
import { apiErrorToFields, errorMessage, type Form } from './form.js';

/** A value that follows `value` after `ms` without change. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Calls `fn` at most every `ms` while events keep coming. */
export function useThrottle(fn: () => void, ms: number): () => void {
  const ref = useRef(fn);
  ref.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  return useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      ref.current();
    }, ms);
  }, [ms]);
}

/**
 * useState kept in localStorage (list sort orders and the like). This is UI state of this
 * browser, not server data, so it stays out of the query cache (api/queries.tsx).
 */
export function useStoredState<T>(key: string, initial: T): [T, (v: T) => void] {
  const [v, setV] = useState<T>(() => {
    try {
      const raw = window.localStorage.getItem('puesta:' + key);
      return raw ? (JSON.parse(raw) as T) : initial;
    } catch {
      return initial;
    }
  });
  const set = useCallback(
    (nv: T) => {
      setV(nv);
      try {
        window.localStorage.setItem('puesta:' + key, JSON.stringify(nv));
      } catch {
        /* storage full or disabled: the value still lives for this session */
      }
    },
    [key],
  );
  return [v, set];
}

/** Runs `fn` on Ctrl/Cmd+key anywhere in the window. */
export function useHotkey(key: string, fn: () => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === key) {
        e.preventDefault();
        ref.current();
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [key]);
}

/**
 * An async action behind a button: `busy` while it goes, its failure's message in `error`
 * (cleared when it starts again). `run` resolves to true when `fn` finished without throwing.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (fn: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/**
 * Submits a form: validates it (nothing more happens while a field is wrong), then runs `fn` with
 * the parsed value while `busy`. A server refusal naming fields lands under them; any other
 * failure is an error toast.
 */
export function useFormSubmit<T>(form: Form<T>) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const submit = async (fn: (value: Record<string, unknown>) => Promise<void>): Promise<void> => {
    const v = form.validate();
    if (!v) return;
    setBusy(true);
    try {
      await fn(v);
    } catch (e) {
      const fe = apiErrorToFields(e);
      if (fe) form.setErrors(fe);
      else toast.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, submit };
}
