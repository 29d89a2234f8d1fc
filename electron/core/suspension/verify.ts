/**
 * Verification through the proxy, as a customer sees the site: the application's health URL
 * (from this computer, or with curl on the host when its health check runs `from: 'host'`) and the
 * ACME probe next to it. Suspended: 503, the Retry-After asked, the page's marker, the ACME probe's
 * token. Reinstated: the health check's status, no marker. Retried until a short deadline (a
 * reinstated application may need its workers a moment).
 */
import http from 'node:http';
import https from 'node:https';
import type { Suspension, SuspensionPhase, Verification } from '../../../shared/contract/suspension.js';
import type { Core } from '../core.js';
import { healthUrlFor, healthUrlOf } from '../provision/monitoring.js';
import { serverTarget } from '../ssh/target.js';
import { sleep } from '../util/concurrency.js';
import { ACME_PROBE, acmeToken, pageMarker, verifyScript } from './commands.js';

export interface VerifyItem {
  suspension: Suspension;
  serverId: number;
}
export type VerifyResult = { ok: true; verification: Verification | null; note?: string } | { ok: false; verification: Verification | null; error: string };

interface Seen {
  status: number;
  retryAfter: string | null;
  body: string;
  acme: string;
}

const SUSPEND_DEADLINE_MS = 5000;
const REINSTATE_DEADLINE_MS = 60_000;

/** Every item at once (a host-side check is one short curl script per site). */
export async function verifyAll(core: Core, items: VerifyItem[], phase: SuspensionPhase): Promise<VerifyResult[]> {
  return Promise.all(items.map((it) => verifyOne(core, it, phase)));
}

async function verifyOne(core: Core, it: VerifyItem, phase: SuspensionPhase): Promise<VerifyResult> {
  const app = core.inventory.applications.get(it.suspension.applicationId);
  const server = core.inventory.servers.get(it.serverId);
  const health = healthUrlFor(healthUrlOf(app), server.host);
  if (!health) return { ok: true, verification: null, note: `${app.name} has no health URL: not verified through the proxy` };
  const acmeUrl = new URL(`/.well-known/acme-challenge/${ACME_PROBE}`, health).toString();
  const deadline = Date.now() + (phase === 'suspend' ? SUSPEND_DEADLINE_MS : Math.min(REINSTATE_DEADLINE_MS, app.healthCheck.timeoutSeconds * 1000));
  for (;;) {
    let verdict: VerifyResult;
    try {
      const seen = app.healthCheck.from === 'host' ? await fromHost(core, it, health, acmeUrl) : await fromHere(health, acmeUrl);
      verdict = judge(it.suspension, phase, seen, app.healthCheck.expectStatus);
    } catch (e) {
      verdict = { ok: false, verification: null, error: `verification through the proxy: ${(e as Error).message}` };
    }
    if (verdict.ok || Date.now() >= deadline) return verdict;
    await sleep(300);
  }
}

function judge(s: Suspension, phase: SuspensionPhase, seen: Seen, expectStatus: number): VerifyResult {
  const v: Verification = { status: seen.status, retryAfter: seen.retryAfter, marker: seen.body.includes(pageMarker(s.id)), acme: seen.acme.trim() === acmeToken(s.id) };
  const wrong: string[] = [];
  if (phase === 'suspend') {
    if (v.status !== 503) wrong.push(`answered ${v.status}, not 503`);
    if (v.retryAfter !== String(s.retryAfterSeconds)) wrong.push(`Retry-After is ${v.retryAfter ?? 'missing'}, not ${s.retryAfterSeconds}`);
    if (!v.marker) wrong.push('the page does not carry the suspension marker');
  } else {
    if (expectStatus ? v.status !== expectStatus : v.status < 200 || v.status >= 400) wrong.push(`the health URL answered ${v.status}, not ${expectStatus || '2xx/3xx'}`);
    if (v.marker) wrong.push('the suspended page is still served');
  }
  if (!v.acme) wrong.push('the ACME challenge path did not answer the probe');
  return wrong.length ? { ok: false, verification: v, error: `verification through the proxy: ${wrong.join('; ')}` } : { ok: true, verification: v };
}

/** One GET on a fresh connection (never a reused keep-alive socket: each answer is the proxy's now). */
function get(url: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65_536) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in 10 s`)));
    req.on('error', reject);
  });
}

async function fromHere(health: string, acmeUrl: string): Promise<Seen> {
  const [h, a] = await Promise.all([get(health), get(acmeUrl)]);
  return { ...h, acme: a.status === 200 ? a.body : '' };
}

async function fromHost(core: Core, it: VerifyItem, health: string, acmeUrl: string): Promise<Seen> {
  const r = await core.services.ssh.exec(serverTarget(core, it.serverId), verifyScript([{ id: it.suspension.id, url: health, acmeUrl }]), { timeoutMs: 30_000 });
  const field = (k: string): string => new RegExp(`^PUESTA_${k} ${it.suspension.id} ?(.*)$`, 'm').exec(r.stdout)?.[1] ?? '';
  const [status, ra] = field('VERIFY').split(' ');
  return { status: Number(status) || 0, retryAfter: ra && ra !== '-' ? ra : null, body: field('VERIFY_BODY'), acme: field('VERIFY_ACME') };
}
