import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { z } from 'zod';
import { PuestaError } from '../../../shared/errors.js';

/** Field errors keyed by dotted path: "name", "services.0.command". */
export type FieldErrors = Record<string, string>;

/** Makes zod's generic messages read like the contract's own ones. */
export function humanMessage(msg: string): string {
  if (/expected string to have >=1 characters/i.test(msg)) return 'required';
  if (/expected array to have >=1 items/i.test(msg)) return 'choose at least one';
  const tooLong = /Too big: expected string to have <=?(\d+) characters/i.exec(msg);
  if (tooLong) return `at most ${tooLong[1]} characters`;
  const tooBig = /Too big: expected number to be <=?(-?\d+)/i.exec(msg);
  if (tooBig) return `at most ${tooBig[1]}`;
  const tooSmall = /Too small: expected number to be >=?(-?\d+)/i.exec(msg);
  if (tooSmall) return `at least ${tooSmall[1]}`;
  if (/expected number, received/i.test(msg)) return 'a number is required';
  if (/expected string, received (undefined|null)/i.test(msg)) return 'required';
  const opt = /Invalid option: expected one of (.*)$/i.exec(msg);
  if (opt) return `choose one of ${opt[1]!.replace(/"/g, '').replace(/\|/g, ', ')}`;
  if (/Invalid input: expected int/i.test(msg)) return 'a whole number is required';
  return msg.replace(/^Invalid input: /, '');
}

export function issuesToErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) {
    const key = i.path.map(String).join('.') || '_';
    if (!(key in out)) out[key] = humanMessage(i.message);
  }
  return out;
}

/** Server errors → field errors: INVALID_INPUT `details.issues`, or `details.field` (CONFLICT, bad reference). */
export function apiErrorToFields(e: unknown): FieldErrors | null {
  if (!(e instanceof PuestaError)) return null;
  const d = e.details as { issues?: { path: string[]; message: string }[]; field?: string } | undefined;
  if (d?.issues?.length) return issuesToErrors(d.issues);
  if (d?.field) return { [d.field]: e.message };
  return null;
}

function setIn<T>(obj: T, path: string, value: unknown): T {
  const keys = path.split('.');
  const clone = (x: unknown): Record<string, unknown> | unknown[] => (Array.isArray(x) ? [...x] : { ...(x as Record<string, unknown>) });
  const root = clone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i]!;
    const next = clone(cur[k] ?? {}) as Record<string, unknown>;
    cur[k] = next;
    cur = next;
  }
  cur[keys[keys.length - 1]!] = value;
  return root as T;
}

export function getIn(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export interface Form<T> {
  draft: T;
  errors: FieldErrors;
  dirty: boolean;
  get(path: string): unknown;
  set(path: string, value: unknown): void;
  replace(next: T): void;
  error(path: string): string | undefined;
  /** Validates with the schema; returns the parsed value or null (and shows the errors). */
  validate(): Record<string, unknown> | null;
  setErrors(e: FieldErrors): void;
  reset(next: T): void;
}

/**
 * A form over a draft object, validated with the SAME zod schema the core uses.
 * Errors show after the first submit, then follow every change.
 */
export function useForm<T extends Record<string, unknown>>(schema: z.ZodType, initial: T): Form<T> {
  const [draft, setDraft] = useState<T>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [dirty, setDirty] = useState(false);
  const live = useRef(false);
  const schemaRef = useRef(schema);
  schemaRef.current = schema;

  useEffect(() => {
    if (!live.current) return;
    const r = schemaRef.current.safeParse(draft);
    setErrors(r.success ? {} : issuesToErrors(r.error.issues));
  }, [draft]);

  const set = useCallback((path: string, value: unknown) => {
    setDraft((d) => setIn(d, path, value));
    setDirty(true);
  }, []);
  const replace = useCallback((next: T) => {
    setDraft(next);
    setDirty(true);
  }, []);
  const reset = useCallback((next: T) => {
    setDraft(next);
    setDirty(false);
    setErrors({});
    live.current = false;
  }, []);

  return useMemo(
    () => ({
      draft,
      errors,
      dirty,
      get: (p: string) => getIn(draft, p),
      set,
      replace,
      reset,
      error: (p: string) => errors[p],
      validate: () => {
        live.current = true;
        const r = schemaRef.current.safeParse(draft);
        if (r.success) {
          setErrors({});
          return r.data as Record<string, unknown>;
        }
        setErrors(issuesToErrors(r.error.issues));
        return null;
      },
      setErrors,
    }),
    [draft, errors, dirty, set, replace, reset],
  );
}

/** Keeps only the keys a schema's shape knows (a record → its writable fields). */
export function pick(rec: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in rec) out[k] = rec[k];
  return out;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
