import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES } from '../../shared/contract/index.js';
import { EVENT_INVALIDATES, matches, queryKey } from '../../renderer/src/api/invalidation.js';

/** Events the screens consume as streams (useEvent), not cache invalidations. */
const STREAMS = ['runs.step', 'runs.log', 'ssh.output', 'ssh.exit'];

describe('the event → cache table (renderer/src/api/invalidation.ts)', () => {
  it('names every event that is not a stream, and only real events', () => {
    expect(Object.keys(EVENT_INVALIDATES).sort()).toEqual(EVENT_NAMES.filter((e) => !STREAMS.includes(e)).sort());
  });

  it('every pattern reaches at least one method of the contract (a renamed method fails here)', () => {
    for (const [event, of] of Object.entries(EVENT_INVALIDATES)) {
      for (const p of (of as (p: unknown) => readonly string[])({})) {
        expect(METHOD_NAMES.filter((m) => matches(p as never, m)), `${event} → ${p}`).not.toEqual([]);
      }
    }
  });

  it('matches a group by prefix and a method exactly', () => {
    expect(matches('windows.*', 'windows.conflictCounts')).toBe(true);
    expect(matches('windows.*', 'blackouts.list')).toBe(false);
    expect(matches('runs.get', 'runs.get')).toBe(true);
    expect(matches('runs.get', 'runs.getX' as never)).toBe(false);
    expect(queryKey('runs.get', { id: 3 })).toEqual(['runs.get', { id: 3 }]);
  });
});
