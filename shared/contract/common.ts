import { z } from 'zod';

export const Id = z.number().int().positive();
export const IdInput = z.object({ id: Id }).strict();

/** ISO-8601 timestamp with a zone (stored UTC). */
export const Timestamp = z.string().datetime({ offset: true });
/** Calendar date, YYYY-MM-DD. */
export const DateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');

export const Name = z.string().trim().min(1, 'required').max(200);
export const Notes = z.string().max(20_000).default('');

let zonesByLowerCase: Map<string, string> | undefined;

/**
 * A valid zone as the zone database spells it (`europe/madrid` → `Europe/Madrid`). Only the case
 * changes: ICU's canonical name can be an older alias (Asia/Kolkata → Asia/Calcutta), so a name
 * that differs by more than case is kept as typed.
 */
function zoneSpelling(tz: string): string {
  zonesByLowerCase ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  const listed = zonesByLowerCase.get(tz.toLowerCase());
  if (listed) return listed;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
}

/** IANA time zone, checked against the runtime's own zone database and stored as it spells it. */
export const TimeZone = z
  .string()
  .min(1)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'unknown IANA time zone (e.g. Europe/Madrid)')
  .transform(zoneSpelling);

export const ListInput = z
  .object({
    query: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(10_000).default(100),
    offset: z.number().int().min(0).default(0),
    sort: z.string().max(64).optional(),
    desc: z.boolean().optional(),
  })
  .strict();
export type ListInput = z.infer<typeof ListInput>;

export function listOutput<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int().min(0) });
}

/** A method's schemas. */
export interface MethodSpec<I extends z.ZodTypeAny = z.ZodTypeAny, O extends z.ZodTypeAny = z.ZodTypeAny> {
  input: I;
  output: O;
  /** One line for docs and the command palette. */
  summary: string;
}

export function method<I extends z.ZodTypeAny, O extends z.ZodTypeAny>(
  input: I,
  output: O,
  summary: string,
): MethodSpec<I, O> {
  return { input, output, summary };
}
