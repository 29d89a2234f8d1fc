import type { RouteDef } from '../../routes.js';
import { NoticesScreen } from '../notices/NoticesScreen.js';
import { WindowPage } from './WindowPage.js';
import { WindowsScreen } from './WindowsScreen.js';

/** The Windows and Notices screens, spread into the app's route table. */
export const WINDOWS_ROUTES: RouteDef[] = [
  { path: '/windows', nav: { label: 'Windows', group: 'Operations', icon: 'windows' }, render: () => <WindowsScreen /> },
  { path: '/windows/:id', render: (p) => <WindowPage id={Number(p.id)} /> },
  { path: '/notices', nav: { label: 'Notices', group: 'Operations', icon: 'notices' }, render: () => <NoticesScreen /> },
];
