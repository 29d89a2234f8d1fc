/**
 * The planner: from a run request to the exact host × step table (the dry-run), with each host's
 * template variables. runs.plan shows it; runs.start stores it and executes it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Application, Environment, Server } from '../../../shared/contract/inventory.js';
import type { ChecklistStep, Plan, PlanHost, RunRequest } from '../../../shared/contract/runs.js';
import { RunRequest as RunRequestSchema } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { sha256File } from '../ssh/transfer.js';
import { packDirectory } from './archive.js';
import { changesOf } from './builtin.js';
import { getChecklist } from './checklists.js';
import { gateOf, previousOf, type Gate } from './health-gate.js';
import { currentOf, listReleases } from './release-store.js';
import type { PlanSource, StepKinds } from './step-kinds.js';
import { render, type Vars } from './template.js';

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
  const placements = core.inventory.placements.list({ applicationId, limit: 100_000, offset: 0 }).items;
  const servers = new Map<number, Server>();
  const roles = new Map<number, string[]>();
  for (const p of placements) {
    const s = servers.get(p.serverId) ?? core.inventory.servers.get(p.serverId);
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

/** Archives packed for a preview that was never started are dropped after a day. */
const PREVIEW_ARCHIVE_MS = 24 * 3600_000;

/**
 * The release archive. A directory source is packed once, at the preview, into a file named by
 * the release key; the start of that plan (same key) uploads that very file, so what runs is what
 * the operator saw (its sha256 is in the plan), even if the folder changed in between.
 */
async function prepareArchive(core: Core, req: ParsedRunRequest, app: Application, releaseKey: string): Promise<Planned['archive']> {
  const src = sourceOf(req, app);
  if (src.kind === 'git') return null;
  if (!existsSync(src.path)) throw new PuestaError('INVALID_INPUT', `The release source ${src.path} does not exist on this computer.`);
  const st = statSync(src.path);
  if (src.kind === 'tarball') {
    if (!st.isFile()) throw new PuestaError('INVALID_INPUT', `${src.path} is not a file: choose a .tar.gz, or use a directory source.`);
    return { path: src.path, sha256: await sha256File(src.path), bytes: st.size, source: `tarball ${src.path}` };
  }
  if (!st.isDirectory()) throw new PuestaError('INVALID_INPUT', `${src.path} is not a folder.`);
  const dir = path.join(core.opts.dataDir, 'archives');
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${app.id}-${releaseKey}.tar.gz`);
  if (existsSync(out)) return { path: out, sha256: await sha256File(out), bytes: statSync(out).size, source: `directory ${src.path}` };
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    if (Date.now() - statSync(p).mtimeMs > PREVIEW_ARCHIVE_MS) rmSync(p, { force: true });
  }
  return { path: out, ...(await packDirectory(src.path, out)), source: `directory ${src.path}` };
}

/**
 * Builds the plan. The release key is stamped once, by the preview: a request that carries it
 * (runs.start of a previewed plan) keeps it, and with `digest` (the previewed plan's) the plan must
 * come out identical, byte for byte, or nothing starts.
 */
export async function buildPlan(core: Core, input: RunRequest, opts: { digest?: string | undefined } = {}): Promise<Planned> {
  const req = RunRequestSchema.parse(input);
  const app = core.inventory.applications.get(req.applicationId);
  const env = core.inventory.environments.get(req.environmentId);
  const { hosts, servers } = targetsOf(core, app.id, env.id, req.serverIds);
  if (!hosts.length) {
    throw new PuestaError('PRECONDITION_FAILED', `${app.name} has no placement on a server of ${env.name}${req.serverIds ? ' among the chosen servers' : ''}: add placements first.`);
  }
  const steps = getChecklist(core, app.id, req.kind).steps;
  const warnings: string[] = [];
  let releaseKey = req.kind === 'rollback' ? (req.rollbackTo ?? '') : (req.releaseKey ?? newReleaseKey(req.label));
  // a previewed key is good for one run: its upload step replaces a folder of that name
  if (req.kind !== 'rollback' && req.releaseKey && listReleases(core, app.id, undefined, true).some((r) => r.key === req.releaseKey)) {
    throw new PuestaError('PRECONDITION_FAILED', `Release ${req.releaseKey} of ${app.name} is already deployed: preview a new plan (it gets a new release key).`, { field: 'releaseKey' });
  }
  const archive = req.kind === 'rollback' ? null : await prepareArchive(core, req, app, releaseKey);
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
      'run.id': '(new)',
      'run.operator': core.operator(),
    };
    if (req.kind === 'upgrade' && !cur) warnings.push(`No current release is recorded on ${h.serverName}: is ${app.name} installed there?`);
  }
  // a rollback to each host's previous release is named by those releases
  if (req.kind === 'rollback' && !releaseKey) releaseKey = [...new Set(Object.values(vars).map((v) => String(v['release.key'])))].join(' / ');
  const kinds = core.services.stepKinds;
  const source: PlanSource = { archive, git };
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
    digest: '',
    steps: steps.map((st, index) => ({
      index,
      key: st.key,
      title: st.title,
      kind: st.kind,
      action: st.action,
      enabled: st.enabled,
      sudo: st.sudo,
      changes: planChanges(st, vars[String(hosts[0]!.serverId)]!),
      cells:
        st.kind === 'manual'
          ? [{ serverId: null, command: null, detail: render(st.instructions, vars[String(hosts[0]!.serverId)]!, 'text') }]
          : hosts.filter((h) => stepApplies(st, h)).map((h) => cellPlan(kinds, st, h.serverId, vars[String(h.serverId)]!, source, gateOf(kinds, req.kind, steps, index))),
    })),
  };
  plan.digest = planDigest(plan);
  if (opts.digest !== undefined && opts.digest !== plan.digest) {
    throw new PuestaError(
      'PRECONDITION_FAILED',
      `The plan changed since it was previewed (the checklist, the inventory or the release source differ): preview it again and start the plan you see.`,
      { field: 'planDigest' },
    );
  }
  return { plan, app, env, servers, steps, hosts, vars, archive, git };
}

/** The one-line "what changes" of a step, with the first host's values. */
export function planChanges(step: ChecklistStep, v: Vars): string {
  try {
    return render(changesOf(step), v, 'text');
  } catch {
    // a run stored by an earlier version may lack a variable: the line is only a summary
    return '';
  }
}

/** What the operator approves: every host, step and command of the plan (its warnings aside). */
export function planDigest(plan: Plan): string {
  const { warnings: _w, digest: _d, ...what } = plan;
  return createHash('sha256').update(JSON.stringify(what)).digest('hex');
}

/** A host's cell of the plan: the command and the words of the step's kinds; a gated step says it switches back. */
function cellPlan(kinds: StepKinds, step: ChecklistStep, serverId: number, v: Vars, source: PlanSource, gate: Gate | null): Plan['steps'][number]['cells'][number] {
  let detail = kinds.detail(step, v, source);
  const prev = previousOf(v);
  // only a gate with a restart step restarts anything (blue-green switches back to the still running old slot)
  if (gate && prev) detail += `; if it fails, switches this host back to ${prev} by itself${gate.restart ? ' (and restarts it)' : ''}`;
  return { serverId, command: kinds.command(step, v), detail };
}
