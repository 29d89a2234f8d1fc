import { describe, expect, it } from 'vitest';
import { matchPath } from '../../renderer/src/lib/match.js';

describe('renderer router', () => {
  it('matches params and decodes them', () => {
    expect(matchPath('/servers/:id', '/servers/12')).toEqual({ id: '12' });
    expect(matchPath('/runs/:label', '/runs/v1%202')).toEqual({ label: 'v1 2' });
    expect(matchPath('/servers/:id', '/apps/12')).toBeNull();
  });

  it('a broken escape in a hand-typed hash matches nothing instead of throwing', () => {
    expect(() => matchPath('/servers/:id', '/servers/%E0%A4%A')).not.toThrow();
    expect(matchPath('/servers/:id', '/servers/%E0%A4%A')).toBeNull();
  });
});
