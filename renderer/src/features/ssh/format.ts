/** Small formatting helpers for the SSH views. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function errorOf(e: unknown): { code: string; message: string; details: Record<string, unknown> } {
  const x = e as { code?: unknown; message?: unknown; details?: unknown };
  return {
    code: typeof x?.code === 'string' ? x.code : 'INTERNAL',
    message: typeof x?.message === 'string' ? x.message : String(e),
    details: x?.details && typeof x.details === 'object' ? (x.details as Record<string, unknown>) : {},
  };
}
