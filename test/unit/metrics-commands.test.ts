/** The commands that read what a deployment ships: quoting of hostile values, and the reading of their output. */
import { describe, expect, it } from 'vitest';
import { commitLogScript, manifestScript, parseCommitLog, parseManifest } from '../../electron/core/metrics/commands.js';

describe('metrics commands', () => {
  it('quotes every value of the git command', () => {
    const s = commitLogScript({ tmp: "/srv/a b/r1.metrics-git", url: "/tmp/it's; rm -rf /", ref: 'v1', since: null });
    expect(s).toContain("'/srv/a b/r1.metrics-git'");
    expect(s).toContain("-- '/tmp/it'\\''s; rm -rf /' v1");
    expect(s).toContain("[ -n '' ]");
    expect(s).toContain("--format='%H %ct' \"$range\" --");
    const since = commitLogScript({ tmp: '/t', url: '/r', ref: 'v2', since: 'a'.repeat(40) });
    expect(since).toContain(`then range=${'a'.repeat(40)}..FETCH_HEAD; fi`);
    expect(manifestScript("/srv/x'y")).toBe("if [ -f '/srv/x'\\''y'/puesta-release.json ]; then cat -- '/srv/x'\\''y'/puesta-release.json; fi");
  });

  it('reads the git output and the manifest', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    expect(parseCommitLog(`head ${a}\n${a} 1767600000\n${b} 1767500000\n`)).toEqual({
      head: a,
      commits: [
        { sha: a, committedMs: 1_767_600_000_000 },
        { sha: b, committedMs: 1_767_500_000_000 },
      ],
    });
    expect(parseCommitLog('fatal: not a git repository')).toBeNull();
    expect(parseManifest(JSON.stringify({ commits: [{ sha: a, committedAt: '2026-01-05T08:00:00Z' }, { sha: b, committedAt: 1767500000 }] }))).toEqual({
      head: a,
      commits: [
        { sha: a, committedMs: Date.parse('2026-01-05T08:00:00Z') },
        { sha: b, committedMs: 1_767_500_000_000 },
      ],
    });
    expect(parseManifest('')).toBeNull();
    expect(parseManifest('{"commits": "nope"}')).toBeNull();
    expect(parseManifest('not json')).toBeNull();
  });
});
