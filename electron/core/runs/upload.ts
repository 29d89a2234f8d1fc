/**
 * The `upload` step kind: before the step's command (checksum, extract) runs on a host, the release
 * archive is there — uploaded over SFTP (sha256 verified: by the step's own `sha256sum -c` of
 * {{upload.sha256}} when its command has one, as the built-in one does, else by the SSH engine),
 * or, for a git source, fetched and packed on the host itself.
 */
import path from 'node:path';
import { PuestaError } from '../../../shared/errors.js';
import { gitFetchPackScript } from './commands.js';
import { getRun, updateRun } from './run-store.js';
import type { HostContext, StepKind } from './step-kinds.js';

export const uploadStep: StepKind = {
  name: 'upload',
  matches: (s) => s.action === 'upload',
  detail: (_s, v, { archive, git }) =>
    git
      ? `fetch ${git.url} at ${git.ref} on the host and pack it into ${String(v['upload.path'])}`
      : `upload ${archive?.source ?? '(archive)'} (sha256 ${archive?.sha256 ?? '?'}) to ${String(v['upload.path'])}`,
  before: (ctx) => (ctx.run.context.git ? fetchGit(ctx) : uploadArchive(ctx)),
};

/** The step's command checks the uploaded archive's sha256 on the host itself (the built-in one: `sha256sum -c`). */
export const checksItself = (command: string) => /\{\{\s*upload\.sha256\s*\}\}/.test(command) && /\bsha256sum\b/.test(command);

async function uploadArchive({ run, step, target, vars, executor, signal, log }: HostContext): Promise<void> {
  const a = run.context.archive;
  if (!a?.path) throw new PuestaError('PRECONDITION_FAILED', 'This run has no release archive to upload.');
  const dest = String(vars['upload.path']);
  log('system', `uploading ${path.basename(a.path)} (${a.bytes} bytes, sha256 ${a.sha256}) to ${dest}\n`);
  // one check on the host, not two: the engine's own checksum command only when the step has none
  const verify = !checksItself(step.command);
  const up = await executor.upload(target, a.path, dest, { signal, verify });
  if (up.sha256 !== a.sha256) throw new PuestaError('COMMAND_FAILED', `The archive's sha256 (${up.sha256}) differs from the one planned (${a.sha256}).`);
  log('system', verify ? `uploaded, sha256 verified on the host\n` : `uploaded; the step's command checks its sha256 on the host\n`);
}

/** Fetches the ref on the host and packs it at {{upload.path}}; the archive's sha256 becomes this host's upload.sha256. */
async function fetchGit({ core, run, target, vars, executor, signal, log }: HostContext): Promise<void> {
  const g = run.context.git!;
  const up = String(vars['upload.path']);
  log('system', `fetching ${g.url} at ${g.ref} on ${target.name}\n`);
  const script = gitFetchPackScript({ tmp: `${String(vars['release.path'])}.git-tmp`, url: g.url, ref: g.ref, releases: String(vars['app.releases']), uploadPath: up });
  const r = await executor.exec(target, script, { onChunk: (c) => log(c.stream, c.text), signal, timeoutMs: 1_800_000 });
  const sha = /^([0-9a-f]{64}) /m.exec(r.stdout)?.[1];
  if (r.exitCode !== 0 || !sha) throw new PuestaError('COMMAND_FAILED', `Fetching ${g.url} at ${g.ref} on ${target.name} failed (exit ${r.exitCode}); see the log. Is git installed there and the repository reachable from it?`);
  const commit = /^commit ([0-9a-f]+)/m.exec(r.stdout)?.[1] ?? '';
  vars['upload.sha256'] = sha;
  // for this cell's later hooks (the delivery metrics read the commits up to it in a local clone)
  vars['upload.commit'] = commit;
  const fresh = getRun(core, run.id);
  fresh.context.vars[String(target.id)]!['upload.sha256'] = sha;
  updateRun(core, run.id, { context: fresh.context });
  run.context.vars[String(target.id)]!['upload.sha256'] = sha;
  log('system', `packed commit ${commit || '?'} (sha256 ${sha})\n`);
}
