/** The SQL of notice templates: the operator's edits per kind and language (`notice_templates`). */
import type { ContractNoticeKind } from '../../../shared/contract/contracts.js';
import type { NoticeKind } from '../../../shared/contract/notices.js';

/** Window notice kinds, and the contract lifecycle's (electron/core/contracts/templates.ts): one table. */
type Kind = NoticeKind | ContractNoticeKind;
import type { Core } from '../core.js';

export interface StoredTemplate {
  subject: string;
  html: string;
  text: string;
  updatedAt: string;
}

export function storedTemplate(core: Core, kind: Kind, language: string): StoredTemplate | undefined {
  return core.db.prepare('SELECT subject, html, text, updated_at AS updatedAt FROM notice_templates WHERE kind = ? AND language = ?').get(kind, language) as StoredTemplate | undefined;
}

export function hasStoredTemplate(core: Core, kind: Kind, language: string): boolean {
  return !!core.db.prepare('SELECT 1 FROM notice_templates WHERE kind = ? AND language = ?').get(kind, language);
}

export function storedLanguages(core: Core): string[] {
  return (core.db.prepare('SELECT DISTINCT language FROM notice_templates').all() as { language: string }[]).map((s) => s.language);
}

export function upsertTemplate(core: Core, t: { kind: Kind; language: string; subject: string; html: string; text: string }, ts: string): void {
  core.db
    .prepare(
      'INSERT INTO notice_templates (kind, language, subject, html, text, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(kind, language) DO UPDATE SET subject = excluded.subject, html = excluded.html, text = excluded.text, updated_at = excluded.updated_at',
    )
    .run(t.kind, t.language, t.subject, t.html, t.text, ts);
}

export function deleteTemplate(core: Core, kind: Kind, language: string): void {
  core.db.prepare('DELETE FROM notice_templates WHERE kind = ? AND language = ?').run(kind, language);
}
