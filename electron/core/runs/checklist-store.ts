/** SQL of the checklists an operator saved (an application without a saved copy uses the built-in one). */
import type { ChecklistKind, ChecklistStep } from '../../../shared/contract/runs.js';
import { ChecklistStep as StepSchema } from '../../../shared/contract/runs.js';
import type { Core } from '../core.js';
import { nowIso } from '../db/rows.js';

/** The saved copy of an application's checklist, or null when it uses the built-in one. */
export function savedChecklist(core: Core, applicationId: number, kind: ChecklistKind): { steps: ChecklistStep[]; updatedAt: string } | null {
  const row = core.db.prepare('SELECT id, updated_at FROM checklists WHERE application_id = ? AND kind = ?').get(applicationId, kind) as { id: number; updated_at: string } | undefined;
  if (!row) return null;
  const specs = core.db.prepare('SELECT spec FROM checklist_steps WHERE checklist_id = ? ORDER BY position').all(row.id) as { spec: string }[];
  return { steps: specs.map((r) => StepSchema.parse(JSON.parse(r.spec))), updatedAt: row.updated_at };
}

export function saveChecklist(core: Core, applicationId: number, kind: ChecklistKind, steps: ChecklistStep[]): void {
  core.tx(() => {
    const ts = nowIso();
    core.db
      .prepare('INSERT INTO checklists (application_id, kind, updated_at) VALUES (?, ?, ?) ON CONFLICT (application_id, kind) DO UPDATE SET updated_at = excluded.updated_at')
      .run(applicationId, kind, ts);
    const id = (core.db.prepare('SELECT id FROM checklists WHERE application_id = ? AND kind = ?').get(applicationId, kind) as { id: number }).id;
    core.db.prepare('DELETE FROM checklist_steps WHERE checklist_id = ?').run(id);
    const ins = core.db.prepare('INSERT INTO checklist_steps (checklist_id, position, key, spec) VALUES (?, ?, ?, ?)');
    steps.forEach((s, i) => ins.run(id, i, s.key, JSON.stringify(s)));
  });
}

export function deleteChecklist(core: Core, applicationId: number, kind: ChecklistKind): void {
  core.db.prepare('DELETE FROM checklists WHERE application_id = ? AND kind = ?').run(applicationId, kind);
}
