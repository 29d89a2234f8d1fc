import type { RouteDef } from '../../routes.js';
import { ChecklistEditor } from './ChecklistEditor.js';
import { NewRunScreen } from './NewRunScreen.js';
import { ReleasesScreen } from './Releases.js';
import { RunScreen } from './RunScreen.js';
import { RunsScreen } from './RunsScreen.js';

/** The Runs screens, spread into ROUTES (renderer/src/routes.tsx). Specific paths before /runs/:id. */
export const RUNS_ROUTES: RouteDef[] = [
  { path: '/runs', nav: { label: 'Runs', group: 'Operations', icon: 'runs' }, render: () => <RunsScreen /> },
  { path: '/runs/checklists/:appId', render: (p) => <ChecklistEditor applicationId={Number(p.appId)} /> },
  { path: '/runs/releases/:appId', render: (p) => <ReleasesScreen applicationId={Number(p.appId)} /> },
  // keyed: another run's view starts afresh (its log store, selection, dialogs)
  { path: '/runs/:id', render: (p) => (p.id === 'new' ? <NewRunScreen /> : <RunScreen key={p.id} id={Number(p.id)} />) },
];
