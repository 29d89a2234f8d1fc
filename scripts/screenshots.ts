/**
 * Seeds a realistic inventory through the API and saves a PNG of every screen at 1280×800,
 * light and dark, into docs/screenshots/. Run: `npm run build:renderer && npx tsx scripts/screenshots.ts`
 * Optional: PUESTA_SHOTS_DIR to write elsewhere; PUESTA_SHOTS=name,name to take only some.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startApp, type App } from '../test/e2e/harness.js';
import { ROOT } from '../test/helpers/core.js';

// a key file server must exist when the server is saved (the file's content does not matter here)
const LAB_KEY = path.join(mkdtempSync(path.join(os.tmpdir(), 'puesta-shots-')), 'lab_ed25519');
writeFileSync(LAB_KEY, 'not a real key\n');
const OUT = process.env.PUESTA_SHOTS_DIR ?? path.join(ROOT, 'docs', 'screenshots');
const ONLY = process.env.PUESTA_SHOTS?.split(',').filter(Boolean);

const day = (offset: number): string => {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
};

async function seed(app: App) {
  const env: Record<string, number> = {};
  for (const [name, colour, confirmRuns, notes] of [
    ['production', '#dc2626', true, 'Customer-facing. Runs need the environment name typed.'],
    ['staging', '#d97706', false, 'Mirrors production; customers test here before upgrades.'],
    ['test', '#16a34a', false, 'Nightly builds.'],
  ] as const) {
    env[name] = (await app.call('environments.create', { name, colour, confirmRuns, notes })).id;
  }
  const srv: Record<string, number> = {};
  const servers: [string, string, string, string[], string[], number?][] = [
    ['prod-web-01', '10.20.0.11', 'production', ['web'], ['eu-west', 'rack-a']],
    ['prod-web-02', '10.20.0.12', 'production', ['web'], ['eu-west', 'rack-b']],
    ['prod-worker-01', '10.20.0.21', 'production', ['worker'], ['eu-west']],
    ['prod-db-01', '10.20.0.31', 'production', ['db'], ['eu-west', 'ssd']],
    ['prod-proxy-01', '10.20.0.5', 'production', ['proxy'], ['eu-west', 'public']],
    ['stg-web-01', '10.30.0.11', 'staging', ['web', 'worker'], ['eu-west']],
    ['stg-db-01', '10.30.0.31', 'staging', ['db'], []],
    ['test-all-01', 'test-all-01.lab.internal', 'test', ['web', 'worker', 'db'], ['lab'], 2222],
  ];
  for (const [name, host, e, roles, tags, port] of servers) {
    srv[name] = (await app.call('servers.create', { name, host, port: port ?? 22, user: 'deploy', auth: name.startsWith('test') ? 'key' : 'agent', keyPath: name.startsWith('test') ? LAB_KEY : null, environmentId: env[e]!, roles, tags, notes: '' })).id;
  }
  const apps: Record<string, number> = {};
  const applications = [
    { name: 'billing-api', runtimeUser: 'billing', basePath: '/srv/billing', strategy: 'blue-green' as const, sourceKind: 'git' as const, source: 'https://git.example.net/billing.git#v4.12.0',
      services: [{ name: 'web', kind: 'web' as const, command: 'bin/puma -C config/puma.rb', instances: 2 }, { name: 'jobs', kind: 'worker' as const, command: 'bin/sidekiq -q default -q mail', instances: 3 }],
      healthCheck: { kind: 'http' as const, target: 'http://127.0.0.1:8080/health', expectStatus: 200, timeoutSeconds: 30 }, sharedDirs: ['storage', 'log'], sharedFiles: ['.env'],
      backupPolicy: { enabled: true, paths: ['storage'], databaseDump: true, schedule: 'daily 02:30', retentionDays: 30, target: '/backup/billing' },
      monitoring: { healthUrl: 'https://billing.example.net/health', metricsUrl: 'http://127.0.0.1:9394/metrics' } },
    { name: 'customer-portal', runtimeUser: 'portal', basePath: '/srv/portal', strategy: 'symlink' as const, sourceKind: 'tarball' as const, source: 'https://artifacts.example.net/portal/portal-2.8.1.tar.gz',
      services: [{ name: 'web', kind: 'web' as const, command: 'node server.js', instances: 4 }], sharedDirs: ['uploads'], sharedFiles: ['config/production.json'] },
    { name: 'reporting', runtimeUser: 'reports', basePath: '/srv/reporting', strategy: 'symlink' as const, sourceKind: 'build' as const, source: 'make dist',
      services: [{ name: 'scheduler', kind: 'worker' as const, command: 'python -m reporting.scheduler', instances: 1 }] },
    { name: 'edge-proxy', runtimeUser: 'www-data', basePath: '/srv/edge', strategy: 'ab' as const, sourceKind: 'directory' as const, source: '~/src/edge/dist', services: [] },
    { name: 'search-indexer', runtimeUser: 'search', basePath: '/srv/search', strategy: 'symlink' as const, sourceKind: 'git' as const, source: 'https://git.example.net/search.git#main',
      services: [{ name: 'indexer', kind: 'worker' as const, command: 'bin/indexer --batch 500', instances: 2 }] },
  ];
  for (const a of applications) apps[a.name] = (await app.call('applications.create', { keepReleases: 5, ...a })).id;
  const placements: [string, string, 'web' | 'worker' | 'db' | 'proxy', ('blue' | 'green' | null)?][] = [
    ['billing-api', 'prod-web-01', 'web', 'blue'], ['billing-api', 'prod-web-02', 'web', 'green'], ['billing-api', 'prod-worker-01', 'worker'], ['billing-api', 'prod-db-01', 'db'], ['billing-api', 'stg-web-01', 'web'],
    ['customer-portal', 'prod-web-01', 'web'], ['customer-portal', 'prod-web-02', 'web'], ['customer-portal', 'stg-web-01', 'web'],
    ['reporting', 'prod-worker-01', 'worker'], ['reporting', 'test-all-01', 'worker'],
    ['edge-proxy', 'prod-proxy-01', 'proxy'], ['search-indexer', 'prod-worker-01', 'worker'], ['search-indexer', 'test-all-01', 'worker'],
  ];
  for (const [a, s, role, slot] of placements) await app.call('placements.create', { applicationId: apps[a]!, serverId: srv[s]!, role, slot: slot ?? null });
  const cust: Record<string, number> = {};
  const customers: [string, string, string, [string, string, string, boolean?][]][] = [
    ['Acme Logistics', 'Europe/Madrid', 'es-ES', [['Ana García', 'ana.garcia@acme-logistics.example', 'IT manager'], ['Jordi Puig', 'jordi@acme-logistics.example', 'Operations'], ['Helpdesk', 'helpdesk@acme-logistics.example', 'Support', true]]],
    ['Borealis Health', 'Europe/Oslo', 'en', [['Ingrid Lund', 'ingrid.lund@borealis.example', 'CTO']]],
    ['Cobalt Retail', 'America/New_York', 'en', [['Marcus Reed', 'mreed@cobalt.example', 'Head of e-commerce'], ['Dana Wu', 'dwu@cobalt.example', 'Platform lead']]],
    ['Delta Municipal', 'Europe/Lisbon', 'pt-PT', [['Rui Costa', 'rui.costa@delta.example', 'Chefe de TI']]],
    ['Evergreen Schools', 'Europe/London', 'en', [['Priya Shah', 'priya.shah@evergreen.example', 'Network manager']]],
    ['Fjord Shipping', 'Europe/Copenhagen', 'en', []],
  ];
  for (const [name, timezone, language, contacts] of customers) {
    cust[name] = (await app.call('customers.create', { name, timezone, language, notes: '' })).id;
    for (const [n, email, role, optedOut] of contacts) await app.call('contacts.create', { customerId: cust[name]!, name: n, email, role, optedOut: optedOut ?? false });
  }
  const contracts: [string, string, string[], number, number, 'active' | 'grace' | 'suspended' | 'terminated'][] = [
    ['HC-2025-014', 'Acme Logistics', ['billing-api', 'customer-portal'], -340, 12, 'active'],
    ['HC-2025-021', 'Borealis Health', ['customer-portal'], -300, 27, 'active'],
    ['HC-2024-188', 'Cobalt Retail', ['billing-api', 'reporting'], -400, -6, 'grace'],
    ['HC-2024-102', 'Delta Municipal', ['customer-portal'], -500, -40, 'suspended'],
    ['HC-2026-003', 'Evergreen Schools', ['reporting', 'search-indexer'], -30, 335, 'active'],
    ['HC-2023-077', 'Fjord Shipping', ['edge-proxy'], -900, -200, 'terminated'],
    ['HC-2025-090', 'Cobalt Retail', ['search-indexer'], -200, 4, 'active'],
  ];
  for (const [reference, c, as, start, end, state] of contracts) {
    await app.call('contracts.create', {
      customerId: cust[c]!, reference, applicationIds: as.map((a) => apps[a]!), startDate: day(start), endDate: day(end), graceDays: 15, state,
      suspensionAction: state === 'suspended' ? 'Switch the vhost to /srv/suspended/index.html and reload nginx' : '',
      allowedHours: c === 'Acme Logistics' ? [{ days: [1, 2, 3, 4, 5], from: '22:00', to: '06:00' }] : null, notes: '',
    });
  }
  await app.call('settings.setOperator', { name: 'Marta Ruiz' });
  // a last check (the lab host's name does not resolve) and an ad-hoc command in the servers' history
  await app.call('servers.testConnection', { id: srv['test-all-01']! }).catch(() => undefined);
  await app.call('ssh.exec', { serverIds: [srv['stg-web-01']!, srv['stg-db-01']!], command: 'df -h /srv && systemctl is-active nginx', timeoutSeconds: 5 });
  await app.call('environments.update', { id: env.staging!, notes: 'Mirrors production; customers test here before upgrades (weekly refresh).' });
  return { env, srv, apps, cust };
}

type Shot = { name: string; go: (page: Page) => Promise<void> };

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const app = await startApp();
  try {
    const page0 = await app.newPage();
    // The empty state, before anything exists.
    await page0.goto(app.base + '#/environments');
    await page0.waitForSelector('[data-testid="empty-state"]');
    if (!ONLY || ONLY.includes('empty')) await page0.screenshot({ path: path.join(OUT, 'empty-light.png') });
    const ids = await seed(app);
    const at = (hash: string, wait = '.page') => async (page: Page) => {
      await page.goto('about:blank'); // a full load each time: no toast or dialog carries over
      await page.goto(app.base + '#' + hash);
      await page.waitForSelector(wait);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(150);
    };
    const shots: Shot[] = [
      { name: 'today', go: at('/', '[data-testid="count-servers"]') },
      { name: 'environments', go: at('/environments', 'table') },
      { name: 'servers', go: at('/servers', 'table') },
      { name: 'server', go: at(`/servers/${ids.srv['prod-web-01']}`, 'form') },
      { name: 'applications', go: at('/applications', 'table') },
      { name: 'application', go: at(`/applications/${ids.apps['billing-api']}`, '[data-testid="placements-of-app"]') },
      { name: 'placements', go: at('/placements', 'table') },
      { name: 'customers', go: at('/customers', 'table') },
      { name: 'customer', go: at(`/customers/${ids.cust['Acme Logistics']}`, '[data-testid="contacts-of-customer"]') },
      { name: 'contacts', go: at('/contacts', 'table') },
      { name: 'contracts', go: at('/contracts', 'table') },
      { name: 'contract', go: at(`/contracts/1`, 'form') },
      {
        name: 'validation',
        go: async (page) => {
          await at('/servers/new', 'form')(page);
          await page.getByLabel('Name', { exact: true }).fill('prod-web-01');
          await page.getByLabel('Host', { exact: true }).fill('not a host!');
          await page.getByLabel('SSH user', { exact: true }).fill('Deploy');
          await page.getByTestId('save').click();
          await page.waitForSelector('.field-error');
          await page.waitForTimeout(200);
        },
      },
      {
        name: 'delete-refused',
        go: async (page) => {
          await at(`/customers/${ids.cust['Acme Logistics']}`, '[data-testid="contacts-of-customer"]')(page);
          await page.getByRole('button', { name: 'Delete', exact: true }).click();
          await page.waitForSelector('[data-testid="delete-blockers"]');
        },
      },
      {
        name: 'import-errors',
        go: async (page) => {
          await at('/transfer')(page);
          const csv = 'name,host,port,user,environment\nnew-web-03,10.20.0.13,22,deploy,production\nnew-web-04,10.20.0.14,70000,deploy,production\nnew-web-05,10.20.0.15,22,Root,prod\n';
          await page.getByTestId('import-file').setInputFiles({ name: 'servers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
          await page.getByTestId('import-check').click();
          await page.waitForSelector('[data-testid="import-errors"]');
        },
      },
      { name: 'settings', go: at('/settings', '.kv') },
      { name: 'audit', go: at('/audit', '[data-testid="audit-table"] tbody tr') },
      {
        name: 'audit-detail',
        go: async (page) => {
          await at('/audit?action=update', '[data-testid="audit-table"] tbody tr')(page);
          await page.locator('.audit-row').first().click();
          await page.waitForSelector('.audit-detail');
        },
      },
      {
        name: 'adhoc-confirm',
        go: async (page) => {
          await at('/commands', '.pssh-pick li')(page);
          await page.getByLabel('Filter servers').fill('web');
          await page.getByRole('button', { name: 'Select shown' }).click();
          await page.getByLabel('Command').fill('sudo systemctl restart nginx');
          await page.getByRole('button', { name: /^Run on/ }).click();
          await page.waitForSelector('[data-testid="adhoc-typed"]');
          await page.getByTestId('adhoc-typed').fill('produc');
        },
      },
      { name: 'adhoc', go: at('/commands', '.pssh-pick li') },
      {
        name: 'palette',
        go: async (page) => {
          await at('/')(page);
          await page.keyboard.press('Control+k');
          await page.getByRole('combobox', { name: 'Search' }).fill('prod');
          await page.waitForSelector('.palette-item.active');
          await page.waitForTimeout(300);
        },
      },
    ];
    for (const scheme of ['light', 'dark'] as const) {
      const page = await app.newPage({ colorScheme: scheme });
      for (const s of shots) {
        if (ONLY && !ONLY.includes(s.name)) continue;
        await s.go(page);
        const file = path.join(OUT, `${s.name}-${scheme}.png`);
        await page.screenshot({ path: file });
        console.log(`saved ${path.relative(ROOT, file)}`);
      }
      await page.context().close();
    }
  } finally {
    await app.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
