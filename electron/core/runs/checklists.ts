/**
 * An application's checklist of a kind: its saved copy, or the built-in one (builtin.ts); either
 * way shaped by the step kinds (e.g. provisioning adds its steps for an application with services).
 */
import type { Checklist, ChecklistKind } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { builtinChecklist, withPreflightNeeds } from './builtin.js';
import { savedChecklist } from './checklist-store.js';
import { VARIABLES } from './template.js';

export function getChecklist(core: Core, applicationId: number, kind: ChecklistKind): Checklist {
  const app = core.inventory.applications.get(applicationId);
  const kinds = core.services.stepKinds;
  const saved = savedChecklist(core, applicationId, kind);
  if (!saved) {
    const steps = withPreflightNeeds(kinds.builtin(core, applicationId, kind, builtinChecklist(kind, app)));
    return { applicationId, kind, steps, builtin: true, updatedAt: app.updatedAt, variables: VARIABLES };
  }
  return { applicationId, kind, steps: kinds.saved(core, applicationId, kind, saved.steps), builtin: false, updatedAt: saved.updatedAt, variables: VARIABLES };
}
