/** The `proxy.*` handler group, spread into electron/core/api.ts. */
import type { proxyMethods } from '../../../shared/contract/proxy.js';
import type { Handlers } from '../handlers.js';
import { getSettings, listEvents, listExperiments, saveSettings } from './proxy-store.js';
import { readSlots, recordedSlots, setWeights, switchSlots } from './switch.js';

type ProxyMethod = keyof typeof proxyMethods;

export const proxyHandlers: Handlers<ProxyMethod> = {
  'proxy.settings.get': (core, p) => {
    core.inventory.applications.get(p.applicationId);
    return getSettings(core, p.applicationId);
  },
  'proxy.settings.save': (core, { applicationId, ...fields }) => {
    core.inventory.applications.get(applicationId);
    const before = getSettings(core, applicationId);
    const { applicationId: _id, updatedAt: _at, ...old } = before;
    const next = { ...old, ...fields };
    core.tx(() => {
      saveSettings(core, applicationId, next);
      core.audit.write(core.operator(), 'proxy.settings', 'applications', applicationId, old, next);
    });
    return getSettings(core, applicationId);
  },
  'proxy.slots': (core, p) => recordedSlots(core, p),
  'proxy.read': (core, p, ctx) => readSlots(core, p, ctx.signal),
  'proxy.switch': (core, p, ctx) => switchSlots(core, p, ctx.signal),
  'proxy.weights': (core, p, ctx) => setWeights(core, p, ctx.signal),
  'proxy.experiments': (core, p) => {
    core.inventory.applications.get(p.applicationId);
    return { items: listExperiments(core, p.applicationId, p.limit) };
  },
  'proxy.history': (core, p) => {
    core.inventory.applications.get(p.applicationId);
    return { items: listEvents(core, p.applicationId, p.limit) };
  },
};
