/**
 * Issue 10, item 11: a network cut leaves the step's remote command running; a retry must not run
 * beside it. The executor here runs commands on this machine and "loses the connection" while the
 * step's loop runs, leaving the loop alive, as sshd does when the network goes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../electron/core/runs/local-exec.js';
import type { ExecOptions, ExecResult, SshTarget } from '../../electron/core/ssh/types.js';
import { PuestaError } from '../../shared/errors.js';
import { call } from '../helpers/api.js';
import { runsFixture, type RunsFixture } from './runs-fixture.js';

let fx: RunsFixture | null = null;
afterEach(async () => {
  await fx?.cleanup();
  fx = null;
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

class FlakyNetwork extends LocalExecutor {
  /** The next command with this text loses its connection once it printed "begin". */
  cutNext = true;
  /** The host does not answer at all. */
  down = false;
  override exec(t: SshTarget, command: string, o: ExecOptions = {}): Promise<ExecResult> {
    if (this.down) return Promise.reject(new PuestaError('SSH_TIMEOUT', `${t.name} did not answer within 10 s.`));
    if (!this.cutNext || !command.includes('seq 1 4000')) return super.exec(t, command, o);
    this.cutNext = false;
    return new Promise((_resolve, reject) => {
      const { signal: _ignored, ...rest } = o;
      super
        .exec(t, command, {
          ...rest,
          onChunk: (c) => {
            o.onChunk?.(c);
            if (c.text.includes('begin')) reject(new PuestaError('SSH_CONNECTION_LOST', `The connection to ${t.name} was lost while running a command.`));
          },
        })
        .catch(() => undefined);
    });
  }
}

describe('a command left running by a network cut (item 11)', () => {
  it('is stopped before the retry runs; while the host is unreachable the retry is refused, saying why', async () => {
    fx = await runsFixture();
    const { core, appId, envId, base } = fx;
    const net = new FlakyNetwork();
    core.services.runs.setExecutor(net);
    await call(core, 'checklists.save', {
      applicationId: appId,
      kind: 'upgrade',
      steps: [{ key: 'loop', title: 'Long loop', command: 'echo $$ >> {{app.base}}.pids; echo begin; for i in $(seq 1 4000); do sleep 0.01; done; echo end' }],
    });
    const run = await call(core, 'runs.start', { applicationId: appId, environmentId: envId, kind: 'upgrade', source: { kind: 'directory', path: fx.src('v1') } });
    let r = await core.services.runs.settled(run.id);
    expect(r).toMatchObject({ state: 'waiting', waitingFor: 'decision' });
    expect(r.cells[0]!.error).toMatch(/connection .* was lost/);
    const first = Number(readFileSync(`${base}.pids`, 'utf8').trim().split('\n')[0]);
    expect(alive(first)).toBe(true); // the old loop still runs on the host

    net.down = true;
    await call(core, 'runs.act', { id: run.id, action: 'retry', note: '' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('waiting');
    expect(r.cells[0]!.error).toMatch(/Not run again on local-1: the command of attempt 1 may still be running there \(process group \d+\)/);
    expect(readFileSync(`${base}.pids`, 'utf8').trim().split('\n')).toHaveLength(1);

    net.down = false;
    await call(core, 'runs.act', { id: run.id, action: 'retry', note: '', command: 'echo $$ >> {{app.base}}.pids; echo fresh' });
    r = await core.services.runs.settled(run.id);
    expect(r.state).toBe('succeeded');
    expect(alive(first)).toBe(false);
    const log = (await call(core, 'runs.logs', { runId: run.id, stepIndex: 0 })).items.map((l) => l.text).join('');
    expect(log).toMatch(/stopped process group \d+/);
    expect(existsSync(`${base}.pids`)).toBe(true);
  });
});
