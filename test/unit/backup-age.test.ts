import { describe, expect, it } from 'vitest';
import { ageOf, backupTooOld, formatAge } from '../../shared/backup-age.js';

const H = 3_600_000;

describe('backup age (one rule for core and the screens)', () => {
  it('says the age in minutes, hours or days', () => {
    expect(formatAge(40 * 60_000)).toBe('40 min');
    expect(formatAge(5 * H)).toBe('5 h');
    expect(formatAge(72 * H)).toBe('3 d');
    expect(ageOf('2026-12-01T00:00:00Z', Date.parse('2026-12-01T03:00:00Z'))).toBe('3 h');
  });
  it('too old: only with a limit; no backup known is too old; past the limit, not at it', () => {
    const now = Date.parse('2026-12-02T00:00:00Z');
    expect(backupTooOld(null, null, now)).toBe(false);
    expect(backupTooOld(24, null, now)).toBe(true);
    expect(backupTooOld(24, '2026-12-01T00:00:00Z', now)).toBe(false);
    expect(backupTooOld(24, '2026-11-30T23:59:00Z', now)).toBe(true);
  });
});
