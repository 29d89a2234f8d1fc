import type { Backup } from '../../../../shared/contract/dbpatch.js';
import { Badge } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';

const HOUR = 3_600_000;

/** "40 min", "5 h", "3 d" (as the run log says it, electron/core/dbpatch/backup.ts). */
export function ageText(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (ms < 2 * HOUR) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (ms < 48 * HOUR) return `${Math.round(ms / HOUR)} h`;
  return `${Math.round(ms / (24 * HOUR))} d`;
}

/** How old a database's last backup is, against its limit: what a restore would go back to. */
export function BackupAge({ backup, maxAgeHours, testId }: { backup: Backup | null; maxAgeHours: number | null; testId?: string }) {
  const tooOld = maxAgeHours != null && (!backup || Date.now() - Date.parse(backup.takenAt) > maxAgeHours * HOUR);
  return (
    <span className="dbpatch-backup" data-testid={testId}>
      {backup ? (
        <span title={`${backup.path} · ${formatDateTime(backup.takenAt)}`}>
          last backup {ageText(backup.takenAt)} old ({backup.source === 'pre-patch' ? 'dumped before patches' : 'found in its folder'})
        </span>
      ) : (
        <span>no backup known</span>
      )}
      {tooOld && (
        <>
          {' '}
          <Badge tone="red" title="pending patches are refused until a fresh backup exists">
            over {maxAgeHours} h: patches refused
          </Badge>
        </>
      )}
    </span>
  );
}
