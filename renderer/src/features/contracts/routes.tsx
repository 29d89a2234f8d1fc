import type { RouteDef } from '../../routes.js';
import { ContractLifecyclePage } from './ContractLifecyclePage.js';
import { TimelineScreen } from './TimelineScreen.js';

/**
 * The lifecycle screens, spread into the app's route table BEFORE `/contracts/:id` (which would
 * take `timeline` for an id). The sidebar's Contracts entry lights up for both.
 */
export const CONTRACTS_ROUTES: RouteDef[] = [
  { path: '/contracts/timeline', render: () => <TimelineScreen /> },
  { path: '/contracts/:id/lifecycle', render: (p) => <ContractLifecyclePage id={Number(p.id)} /> },
];
