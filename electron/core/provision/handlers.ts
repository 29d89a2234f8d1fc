/**
 * API handlers: the provisioning steps of an application (for the install checklist and its plan),
 * the upgrade review, service control and host statistics.
 */
import { randomBytes } from 'node:crypto';
import type { provisionMethods } from '../../../shared/contract/provision.js';
import type { Handlers } from '../handlers.js';
import { applicationOf, provisionStepsFor } from './context.js';
import { controlServices } from './control.js';
import { dbPasswordSecretKey } from './postgres.js';
import { reviewUpgrade } from './review.js';
import { collectFor, failingChecks } from './stats.js';
import { statsHistory } from './stats-store.js';
import { lastChecks } from '../repos/server-checks.js';

type ProvisionMethod = keyof typeof provisionMethods;

export const provisionHandlers: Handlers<ProvisionMethod> = {
  'provision.steps': (core, input) => ({ items: provisionStepsFor(core, input.applicationId) }),

  'provision.setDbPassword': (core, input) => {
    const app = applicationOf(core, input.applicationId);
    const value = input.generate ? randomBytes(24).toString('base64url') : input.password!;
    core.tx(() => {
      core.secrets.set(dbPasswordSecretKey(app.id), value);
      core.audit.write(core.operator(), 'secret.set', 'applications', app.id, null, { secret: 'db-password', generated: input.generate });
    });
    return { stored: true as const };
  },

  'provision.dbPasswordStatus': (core, input) => ({ set: core.secrets.has(dbPasswordSecretKey(applicationOf(core, input.applicationId).id)) }),

  'provision.review': (core, input) => reviewUpgrade(core, applicationOf(core, input.applicationId), { serverId: input.serverId ?? null }),

  'stats.collect': async (core, input, ctx) => ({ items: await collectFor(core, input, ctx.signal) }),

  'services.control': async (core, input, ctx) => ({ items: await controlServices(core, applicationOf(core, input.applicationId), input, ctx.signal) }),

  'stats.history': (core, input) => ({ items: statsHistory(core, input.serverId, input.applicationId, input.limit) }),
  'stats.failing': (core) => ({ items: failingChecks(core) }),
  'servers.checks': (core) => ({ items: lastChecks(core.db) }),
};
