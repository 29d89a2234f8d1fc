import type { ComponentType } from 'react';
import { ApplicationServicesPanel, ServerStatsPanel } from './features/provision/ServicesPanel.js';
import { TodayServers } from './features/provision/TodayServers.js';
import { ApplicationReleases } from './features/runs/Releases.js';
import { TodayRuns } from './features/runs/TodayRuns.js';
import { ServerConnectionPanel } from './features/ssh/ServerConnectionPanel.js';
import { UpcomingWindows } from './features/windows/UpcomingWindows.js';

/**
 * Extension points of the record pages: other features add a panel with one line.
 * e.g. `SERVER_PANELS.push(ServerConnectionPanel)` — or, better, add it to the array literal.
 * Panels render in the side column of the page, above the built-in ones.
 */
export const SERVER_PANELS: ComponentType<{ serverId: number }>[] = [ServerConnectionPanel, ServerStatsPanel];
export const APPLICATION_PANELS: ComponentType<{ applicationId: number }>[] = [ApplicationReleases, ApplicationServicesPanel];

/**
 * Panels of the Today screen. `slot` 'runs', 'windows' or 'servers' replaces the matching
 * placeholder; any other slot is added after them. The component renders its own <Section>.
 */
export const TODAY_PANELS: { slot: string; component: ComponentType }[] = [
  { slot: 'windows', component: UpcomingWindows },
  { slot: 'runs', component: TodayRuns },
  { slot: 'servers', component: TodayServers },
];
