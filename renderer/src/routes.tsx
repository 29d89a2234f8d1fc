import type { ReactNode } from 'react';
import type { IconName } from './components/Icon.js';
import { AuditScreen } from './features/audit/AuditScreen.js';
import { PatchPage } from './features/dbpatch/PatchPage.js';
import { ApplicationPage, ApplicationsScreen } from './features/inventory/applications.js';
import { ContactPage, ContactsScreen } from './features/inventory/contacts.js';
import { CONTRACTS_ROUTES } from './features/contracts/routes.js';
import { ContractPage, ContractsScreen } from './features/inventory/contracts.js';
import { CustomerPage, CustomersScreen } from './features/inventory/customers.js';
import { EnvironmentPage, EnvironmentsScreen } from './features/inventory/environments.js';
import { PlacementPage, PlacementsScreen } from './features/inventory/placements.js';
import { ServerPage, ServersScreen } from './features/inventory/servers.js';
import { MetricsScreen } from './features/metrics/MetricsScreen.js';
import { RUNS_ROUTES } from './features/runs/routes.js';
import { AdHocCommand } from './features/ssh/AdHocCommand.js';
import { SettingsScreen } from './features/settings/SettingsScreen.js';
import { TodayScreen } from './features/today/TodayScreen.js';
import { TransferScreen } from './features/transfer/TransferScreen.js';
import { WINDOWS_ROUTES } from './features/windows/routes.js';

/**
 * THE route table: every screen of the app, in sidebar order.
 * An entry with `nav` appears in the sidebar under its group. Add a screen with one line, e.g.
 *   { path: '/runs', nav: { label: 'Runs', group: 'Operations', icon: 'runs' }, render: () => <RunsScreen /> },
 *   { path: '/runs/:id', render: (p) => <RunView id={Number(p.id)} /> },
 * Paths are matched in order; `:name` captures one segment. `/x/new` reaches `/x/:id` with id 'new'.
 */
export interface RouteDef {
  path: string;
  nav?: { label: string; group: NavGroup; icon: IconName; /** Other paths that light this entry up. */ also?: string[] };
  render: (params: Record<string, string>) => ReactNode;
}

export const NAV_GROUPS = ['', 'Inventory', 'Operations', 'More'] as const;
export type NavGroup = (typeof NAV_GROUPS)[number];

const idOf = (p: Record<string, string>): number | 'new' => (p.id === 'new' ? 'new' : Number(p.id));

export const ROUTES: RouteDef[] = [
  { path: '/', nav: { label: 'Today', group: '', icon: 'today' }, render: () => <TodayScreen /> },
  { path: '/environments', nav: { label: 'Environments', group: 'Inventory', icon: 'env' }, render: () => <EnvironmentsScreen /> },
  { path: '/environments/:id', render: (p) => <EnvironmentPage id={idOf(p)} /> },
  { path: '/servers', nav: { label: 'Servers', group: 'Inventory', icon: 'server' }, render: () => <ServersScreen /> },
  { path: '/servers/:id', render: (p) => <ServerPage id={idOf(p)} /> },
  { path: '/applications', nav: { label: 'Applications', group: 'Inventory', icon: 'app' }, render: () => <ApplicationsScreen /> },
  { path: '/applications/:id', render: (p) => <ApplicationPage id={idOf(p)} /> },
  { path: '/applications/:id/patches/:patchId', render: (p) => <PatchPage applicationId={Number(p.id)} patchId={p.patchId ?? ''} /> },
  { path: '/placements', nav: { label: 'Placements', group: 'Inventory', icon: 'placement' }, render: () => <PlacementsScreen /> },
  { path: '/placements/:id', render: (p) => <PlacementPage id={idOf(p)} /> },
  { path: '/customers', nav: { label: 'Customers', group: 'Inventory', icon: 'customer' }, render: () => <CustomersScreen /> },
  { path: '/customers/:id', render: (p) => <CustomerPage id={idOf(p)} /> },
  { path: '/contacts', nav: { label: 'Contacts', group: 'Inventory', icon: 'contact' }, render: () => <ContactsScreen /> },
  { path: '/contacts/:id', render: (p) => <ContactPage id={idOf(p)} /> },
  { path: '/contracts', nav: { label: 'Contracts', group: 'Inventory', icon: 'contract' }, render: () => <ContractsScreen /> },
  ...CONTRACTS_ROUTES,
  { path: '/contracts/:id', render: (p) => <ContractPage id={idOf(p)} /> },
  ...RUNS_ROUTES,
  ...WINDOWS_ROUTES,
  { path: '/metrics', nav: { label: 'Delivery metrics', group: 'Operations', icon: 'chart' }, render: () => <MetricsScreen /> },
  { path: '/commands', nav: { label: 'Ad-hoc command', group: 'Operations', icon: 'terminal' }, render: () => <AdHocCommand /> },
  { path: '/audit', nav: { label: 'Audit log', group: 'More', icon: 'audit' }, render: () => <AuditScreen /> },
  { path: '/transfer', nav: { label: 'Import / export', group: 'More', icon: 'transfer' }, render: () => <TransferScreen /> },
  { path: '/settings', nav: { label: 'Settings', group: 'More', icon: 'settings' }, render: () => <SettingsScreen /> },
];
