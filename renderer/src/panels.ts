import type { ComponentType } from 'react';
import { ApplicationPatchesPanel } from './features/dbpatch/PatchesPanel.js';
import { ApplicationServicesPanel, ServerStatsPanel } from './features/provision/ServicesPanel.js';
import { TodayServers } from './features/provision/TodayServers.js';
import { ApplicationProxyPanel } from './features/proxy/ProxyPanel.js';
import { ApplicationReleases } from './features/runs/Releases.js';
import { TodayRuns } from './features/runs/TodayRuns.js';
import { ServerConnectionPanel } from './features/ssh/ServerConnectionPanel.js';
import { UpcomingWindows } from './features/windows/UpcomingWindows.js';

/**
 * Extension points of the record pages: another feature adds its panel to the array literal.
 * Panels render in the side column of the page, above the built-in ones.
 */
export const SERVER_PANELS: ComponentType<{ serverId: number }>[] = [ServerConnectionPanel, ServerStatsPanel];
export const APPLICATION_PANELS: ComponentType<{ applicationId: number }>[] = [ApplicationProxyPanel, ApplicationPatchesPanel, ApplicationReleases, ApplicationServicesPanel];

/**
 * Panels of the Today screen. Slots 'runs', 'windows' and 'servers' show in that order; any
 * other slot is added after them. The component renders its own <Section>.
 */
export const TODAY_PANELS: { slot: string; component: ComponentType }[] = [
  { slot: 'windows', component: UpcomingWindows },
  { slot: 'runs', component: TodayRuns },
  { slot: 'servers', component: TodayServers },
];
