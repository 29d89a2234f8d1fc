/** Route matching, pure (no DOM): tested under Node. */

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Matches `/servers/:id` against `/servers/12` → { id: '12' }, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    const val = b[i]!;
    if (seg.startsWith(':')) {
      // A hand-typed hash with a broken escape matches no route (the "not found" page) instead of throwing.
      const decoded = safeDecode(val);
      if (decoded === null) return null;
      params[seg.slice(1)] = decoded;
    } else if (seg !== val) return null;
  }
  return params;
}
