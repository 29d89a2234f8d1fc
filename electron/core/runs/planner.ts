/**
 * The planner: from a run request to the exact host × step table (the dry-run), with each host's
 * template variables. runs.plan shows it; runs.start stores it and executes it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Application, Environment, Server } from '../../../shared/contract/inventory.js';
import type { ChecklistStep, Plan, PlanHost, RunRequest } from '../../../shared/contract/runs.js';
import { RunRequest as RunRequestSchema } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { sha256File } from './local-exec.js';
import { currentOf, getChecklist } from './store.js';
import { render, type Vars } from './template.js';

const execFileP = promisify(execFile);
export type ParsedRunRequest = ReturnType<typeof RunRequestSchema.parse>;

export interface Planned {
  plan: Plan;
  app: Application;
  env: Environment;
  servers: Map<number, Server>;
  steps: ChecklistStep[];
  hosts: PlanHost[];
  vars: Record<string, Vars>;
  archive: { path: string; sha256: string; bytes: number; source: string } | null;
  git: { url: string; ref: string } | null;
}

export function newReleaseKey(label: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '').replace('Z', '');
  return label ? `${stamp}-${label}` : stamp;
}

export function stepApplies(step: ChecklistStep, host: PlanHost): boolean {
  return step.roles.length === 0 || step.roles.some((r) => host.roles.includes(r));
}

/** Hosts of the application in the environment (one per server, with its placement roles). */
export function targetsOf(core: Core, applicationId: number, environmentId: number, serverIds?: number[]): { hosts: PlanHost[]; servers: Map<number, Server> } {
  const placements = core.inventory.placements.list({ applicationId, limit: 100_000, offset: 0 }).items as unknown as { serverId: number; role: string }[];
  const servers = new Map<number, Server>();
  const roles = new Map<number, string[]>();
  for (const p of placements) {
    const s = (servers.get(p.serverId) ?? core.inventory.servers.get(p.serverId)) as unknown as Server;
    if (s.environmentId !== environmentId) continue;
    if (serverIds && !serverIds.includes(s.id)) continue;
    servers.set(s.id, s);
    roles.set(s.id, [...(roles.get(s.id) ?? []), p.role]);
  }
  const hosts = [...servers.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => ({ serverId: s.id, serverName: s.name, address: s.host, roles: roles.get(s.id)! }));
  return { hosts, servers };
}

function sourceOf(req: ParsedRunRequest, app: Application): { kind: 'tarball' | 'directory' | 'git'; path: string; ref?: string | undefined } {
  const src = req.source ?? (app.source && app.sourceKind !== 'build' ? { kind: app.sourceKind, path: app.source } : null);
  if (!src) {
    throw new PuestaError('INVALID_INPUT', `No release to deploy: give a source (a local .tar.gz or folder, or a git URL), or set the application's source to one.`);
  }
  return src;
}

async function prepareArchive(core: Core, req: ParsedRunRequest, app: Application, releaseKey: string, pack: boolean): Promise<Planned['archive']> {
  const src = sourceOf(req, app);
  if (src.kind === 'git') return null;
  if (!existsSync(src.path)) throw new PuestaError('INVALID_INPUT', `The release source ${src.path} does not exist on this computer.`);
  const st = statSync(src.path);
  if (src.kind === 'tarball') {
    if (!st.isFile()) throw new PuestaError('INVALID_INPUT', `${src.path} is not a file: choose a .tar.gz, or use a directory source.`);
    return { path: src.path, sha256: await sha256File(src.path), bytes: st.size, source: `tarball ${src.path}` };
  }
  if (!st.isDirectory()) throw new PuestaError('INVALID_INPUT', `${src.path} is not a folder.`);
  if (!pack) return { path: '', sha256: '(computed when the run starts)', bytes: 0, source: `directory ${src.path}` };
  const dir = path.join(core.opts.dataDir, 'archives');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${app.id}-${releaseKey}.tar.gz`);
  await execFileP('tar', ['-czf', out, '-C', src.path, '.']);
  return { path: out, sha256: await sha256File(out), bytes: statSync(out).size, source: `directory ${src.path}` };
}

/** Builds the plan. `pack` (runs.start) packs a directory source; a dry-run does not. */
export async function buildPlan(core: Core, input: RunRequest, opts: { pack: boolean; runId?: number; releaseKey?: string }): Promise<Planned> {
  const req = RunRequestSchema.parse(input);
  const app = core.inventory.applications.get(req.applicationId) as unknown as Application;
  const env = core.inventory.environments.get(req.environmentId) as unknown as Environment;
  if (app.strategy !== 'symlink') {
    throw new PuestaError('PRECONDITION_FAILED', `${app.name} uses the ${app.strategy} strategy; guided runs support the symlink strategy (releases/ + current) for now.`);
  }
  const { hosts, servers } = targetsOf(core, app.id, env.id, req.serverIds);
  if (!hosts.length) {
    throw new PuestaError('PRECONDITION_FAILED', `${app.name} has no placement on a server of ${env.name}${req.serverIds ? ' among the chosen servers' : ''}: add placements first.`);
  }
  const steps = getChecklist(core, app.id, req.kind).steps;
  const warnings: string[] = [];
  const releaseKey = opts.releaseKey ?? (req.kind === 'rollback' ? (req.rollbackTo ?? '(previous)') : newReleaseKey(req.label));
  const archive = req.kind === 'rollback' ? null : await prepareArchive(core, req, app, releaseKey, opts.pack);
  const src = req.kind === 'rollback' ? null : sourceOf(req, app);
  const git = src?.kind === 'git' ? { url: src.path, ref: src.ref || 'HEAD' } : null;
  const base = app.basePath.replace(/\/+$/, '');
  const vars: Record<string, Vars> = {};
  for (const h of hosts) {
    const s = servers.get(h.serverId)!;
    const cur = currentOf(core, app.id, h.serverId);
    let key = releaseKey;
    if (req.kind === 'rollback') {
      key = req.rollbackTo ?? cur?.previousKey ?? '';
      if (!key) {
        throw new PuestaError('PRECONDITION_FAILED', `No previous release is recorded for ${app.name} on ${h.serverName}: choose the release to roll back to.`, { serverId: h.serverId });
      }
      if (cur && cur.key === key) warnings.push(`${h.serverName} is already on ${key}.`);
    }
    vars[String(h.serverId)] = {
      'app.name': app.name,
      'app.user': app.runtimeUser,
      'app.base': base,
      'app.releases': `${base}/releases`,
      'app.shared': `${base}/shared`,
      'app.current': `${base}/current`,
      'app.keep': app.keepReleases,
      'app.sharedDirs': app.sharedDirs,
      'app.sharedFiles': app.sharedFiles,
      'env.name': env.name,
      'release.key': key,
      'release.label': req.label,
      'release.path': `${base}/releases/${key}`,
      'release.previous': cur?.key ?? '',
      'upload.path': `${base}/releases/.upload-${key}.tar.gz`,
      'upload.sha256': archive?.sha256 ?? (git ? '(computed on the host)' : ''),
      'host.name': s.name,
      'host.address': s.host,
      'host.user': s.user,
      'run.id': opts.runId ?? '(new)',
      'run.operator': core.operator(),
    };
    if (req.kind === 'upgrade' && !cur) warnings.push(`No current release is recorded on ${h.serverName}: is ${app.name} installed there?`);
  }
  // health gate (see ChecklistStep.switchBackOnFailure): a check after the switch of an upgrade/rollback
  const sw = steps.findIndex((st) => st.key === 'switch' && st.enabled);
  const gated = (i: number) => req.kind !== 'install' && !!steps[i]!.switchBackOnFailure && sw >= 0 && sw < i;
  const plan: Plan = {
    applicationId: app.id,
    applicationName: app.name,
    environmentId: env.id,
    environmentName: env.name,
    kind: req.kind,
    releaseKey,
    label: req.label,
    confirmRequired: env.confirmRuns,
    hosts,
    warnings,
    steps: steps.map((st, index) => ({
      index,
      key: st.key,
      title: st.title,
      kind: st.kind,
      action: st.action,
      enabled: st.enabled,
      sudo: st.sudo,
      cells:
        st.kind === 'manual'
          ? [{ serverId: null, command: null, detail: render(st.instructions, vars[String(hosts[0]!.serverId)]!, 'text') }]
          : hosts.filter((h) => stepApplies(st, h)).map((h) => cellPlan(st, h.serverId, vars[String(h.serverId)]!, archive, git, gated(index))),
    })),
  };
  return { plan, app, env, servers, steps, hosts, vars, archive, git };
}

export function commandOf(step: ChecklistStep, v: Vars): string | null {
  if (step.kind === 'manual') return null;
  if (step.kind === 'check' && step.check?.kind !== 'command') return null;
  return step.command.trim() ? render(step.command, v, 'shell') : null;
}

function cellPlan(step: ChecklistStep, serverId: number, v: Vars, archive: Planned['archive'], git: Planned['git'], gated = false): Plan['steps'][number]['cells'][number] {
  let detail = '';
  if (step.kind === 'check' && step.check) {
    detail =
      step.check.kind === 'http'
        ? `GET ${render(step.check.url, v, 'url')} → ${step.check.expectStatus}${step.check.expectText ? ` containing "${step.check.expectText}"` : ''}, retried up to ${step.check.deadlineSeconds} s`
        : `exit 0${step.check.expectText ? ` and output containing "${step.check.expectText}"` : ''}, retried up to ${step.check.deadlineSeconds} s`;
    const prev = String(v['release.previous'] ?? '');
    if (gated && prev && prev !== String(v['release.key'])) detail += `; if it fails, switches this host back to ${prev} by itself (and restarts it)`;
  } else if (step.action === 'upload' && git) {
    detail = `fetch ${git.url} at ${git.ref} on the host and pack it into ${String(v['upload.path'])}`;
  } else if (step.action === 'upload') {
    detail = `upload ${archive?.source ?? '(archive)'} (sha256 ${archive?.sha256 ?? '?'}) to ${String(v['upload.path'])}`;
  } else if (step.action === 'record') {
    detail = `record ${String(v['release.key'])} as current on ${String(v['host.name'])}`;
  }
  return { serverId, command: commandOf(step, v), detail };
}
