/** Issue 11, item 7: the audit screen shows before/after as the fields that changed. */
import { describe, expect, it } from 'vitest';
import { changesOf } from '../../renderer/src/features/audit/changes.js';

describe('audit changes', () => {
  it('lists the fields that differ, ignoring bookkeeping, with both values', () => {
    expect(changesOf({ id: 1, port: 22, tags: ['a'], updatedAt: 'x' }, { id: 1, port: 2222, tags: ['a'], updatedAt: 'y' })).toEqual([{ field: 'port', before: '22', after: '2222' }]);
  });
  it('shows a create, a delete and an operation that records only what it did', () => {
    expect(changesOf(null, { name: 'prod', notes: '' })).toEqual([
      { field: 'name', before: '', after: 'prod' },
      { field: 'notes', before: '', after: '' },
    ]);
    expect(changesOf({ kind: 'password' }, null)).toEqual([{ field: 'kind', before: 'password', after: '' }]);
    expect(changesOf(null, { command: 'uptime', servers: ['a', 'b'] })).toEqual([
      { field: 'command', before: '', after: 'uptime' },
      { field: 'servers', before: '', after: '["a","b"]' },
    ]);
    expect(changesOf(null, null)).toEqual([]);
  });
});
