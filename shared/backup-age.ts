/**
 * A database backup's age and its limit, one rule for core (which refuses patches past it,
 * electron/core/dbpatch/backup.ts) and the screens that show it.
 */
const HOUR = 3_600_000;

/** "40 min", "5 h", "3 d". */
export function formatAge(ms: number): string {
  if (ms < 2 * HOUR) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (ms < 48 * HOUR) return `${Math.round(ms / HOUR)} h`;
  return `${Math.round(ms / (24 * HOUR))} d`;
}

/** The age of a backup taken at `takenAt` (ISO), in words. */
export const ageOf = (takenAt: string, now = Date.now()): string => formatAge(now - Date.parse(takenAt));

/** Whether patches must wait for a fresher backup: a limit is set and no backup is known, or the last one is older. */
export function backupTooOld(maxAgeHours: number | null, takenAt: string | null, now = Date.now()): boolean {
  if (maxAgeHours == null) return false;
  return takenAt == null || now - Date.parse(takenAt) > maxAgeHours * HOUR;
}
