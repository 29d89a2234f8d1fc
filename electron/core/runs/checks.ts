/**
 * Check steps: an HTTP GET from Puesta (this computer) or from the host itself (curl), or a
 * command on the host, with an expectation, retried until it passes or its deadline. Every
 * attempt and the result say where the check ran. The `check` step kind.
 */
import http from 'node:http';
import https from 'node:https';
import type { ChecklistStep, StepCheck } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { SshEngine, SshTarget } from '../ssh/types.js';
import { sleep } from '../util/concurrency.js';
import { failingLine, httpCheckCommand, parseHttpCheck } from './commands.js';
import type { LogFn, Outcome, StepKind } from './step-kinds.js';
import { render, type Vars } from './template.js';

export const checkStep: StepKind = {
  name: 'check',
  matches: (s) => s.kind === 'check',
  // an HTTP check from Puesta runs no command on the host; from the host it runs curl there
  command: (s, v) => {
    const c = s.check;
    if (c?.kind === 'http') return c.from === 'host' ? httpCheckCommand(render(c.url, v, 'url'), c.deadlineSeconds) : null;
    return c?.kind === 'command' && s.command.trim() ? render(s.command, v, 'shell') : null;
  },
  detail: (s, v) => {
    const c = s.check;
    if (!c) return '';
    return c.kind === 'http'
      ? `GET ${render(c.url, v, 'url')} ${c.from === 'host' ? `on ${String(v['host.name'])} (curl there)` : 'from Puesta (this computer)'} → ${c.expectStatus}${c.expectText ? ` containing "${c.expectText}"` : ''}, retried up to ${c.deadlineSeconds} s`
      : `on ${String(v['host.name'])}: exit 0${c.expectText ? ` and output containing "${c.expectText}"` : ''}, retried up to ${c.deadlineSeconds} s`;
  },
  execute: async (ctx) => (ctx.step.check ? runCheck(ctx.executor, ctx.target, ctx.step, ctx.step.check, ctx.vars, ctx.signal, ctx.log) : { ok: true }),
  switchesBack: (s) => !!s.switchBackOnFailure,
};

/** Tries the check until it passes or its deadline; every attempt is logged. */
export async function runCheck(executor: SshEngine, target: SshTarget, step: ChecklistStep, check: StepCheck, vars: Vars, signal: AbortSignal, log: LogFn): Promise<Outcome> {
  const deadline = Date.now() + check.deadlineSeconds * 1000;
  const url = check.kind === 'http' ? render(check.url, vars, 'url') : '';
  const where = check.kind === 'http' && check.from === 'puesta' ? 'from Puesta' : `on ${target.name}`;
  const get = (timeoutMs: number) => (check.from === 'host' ? hostGet(executor, target, url, timeoutMs, signal) : httpGet(url, timeoutMs, signal));
  for (let n = 1; ; n++) {
    if (signal.aborted) throw new PuestaError('CANCELLED', 'The check was cancelled.');
    let pass = false;
    const left = Math.max(500, deadline - Date.now());
    if (check.kind === 'http') {
      try {
        const res = await get(Math.min(10_000, left));
        pass = res.status === check.expectStatus && res.body.includes(check.expectText);
        log('system', `check ${n} ${where}: GET ${url} → ${res.status}${pass ? '' : check.expectText && !res.body.includes(check.expectText) ? ` (body lacks "${check.expectText}")` : ''}\n`);
      } catch (e) {
        if (signal.aborted) throw e;
        log('system', `check ${n} ${where}: GET ${url} → ${(e as Error).message}\n`);
      }
    } else {
      const cmd = render(step.command, vars, 'shell');
      try {
        const r = await executor.exec(target, cmd, { onChunk: (c) => log(c.stream, c.text), signal, timeoutMs: Math.min(step.timeoutSeconds * 1000, left), sudo: step.sudo });
        pass = r.exitCode === 0 && r.stdout.includes(check.expectText);
        log('system', `check ${n} ${where}: exit ${r.exitCode}\n`);
      } catch (e) {
        if (signal.aborted) throw e;
        log('system', `check ${n} ${where}: ${(e as Error).message}\n`);
      }
    }
    if (pass) return { ok: true };
    if (Date.now() + check.intervalSeconds * 1000 >= deadline) {
      return { ok: false, error: `The check (${where}) did not pass within ${check.deadlineSeconds} s (${n} attempt${n === 1 ? '' : 's'}).` };
    }
    await sleep(check.intervalSeconds * 1000, signal);
  }
}

/** The GET run on the host with curl; no answer (curl failed) throws with curl's own words. */
async function hostGet(executor: SshEngine, target: SshTarget, url: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; body: string }> {
  const r = await executor.exec(target, httpCheckCommand(url, Math.max(1, Math.round(timeoutMs / 1000))), { signal, timeoutMs: timeoutMs + 5000 });
  if (r.exitCode !== 0) throw new Error(failingLine(r.stderr, r.stdout) || `curl exit ${r.exitCode}`);
  return parseHttpCheck(r.stdout);
}

/** One GET without keep-alive (a health check must not reuse a connection to the old process). */
export function httpGet(url: string, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new Error(`not a valid URL: ${url}`));
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.get(u, { agent: false, timeout: timeoutMs, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 1 << 20) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', reject);
  });
}
