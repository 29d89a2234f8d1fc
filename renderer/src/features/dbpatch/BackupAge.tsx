import { ageOf, backupTooOld } from '../../../../shared/backup-age.js';
import type { Backup } from '../../../../shared/contract/dbpatch.js';
import { Badge } from '../../components/Bits.js';
import { formatDateTime } from '../../lib/format.js';

/** How old a database's last backup is, against its limit: what a restore would go back to. */
export function BackupAge({ backup, maxAgeHours, testId }: { backup: Backup | null; maxAgeHours: number | null; testId?: string }) {
  const tooOld = backupTooOld(maxAgeHours, backup?.takenAt ?? null);
  return (
    <span className="dbpatch-backup" data-testid={testId}>
      {backup ? (
        <span title={`${backup.path} · ${formatDateTime(backup.takenAt)}`}>
          last backup {ageOf(backup.takenAt)} old ({backup.source === 'pre-patch' ? 'dumped before patches' : 'found in its folder'})
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
