import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { z } from 'zod';
import type { EntityName } from '../../../../shared/contract/inventory.js';
import type { MethodInput, MethodName } from '../../../../shared/contract/index.js';
import { ErrorBox, PageHeader, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useForm, pick, type Form } from '../../lib/form.js';
import { useHotkey } from '../../lib/hooks.js';
import { currentLocation, navigate } from '../../lib/router.js';
import { detailPath, META } from './meta.js';
import { DeleteDialog } from './DeleteDialog.js';
import { HistoryPanel } from './HistoryPanel.js';
import { useEntityDelete, useEntitySave } from './save.js';
import { useApiQuery } from '../../api/queries.js';

export type Draft = Record<string, unknown>;
export type Rec = Record<string, unknown> & { id: number };

export interface EditorSpec {
  entity: EntityName;
  schema: z.ZodObject;
  /** A blank record for "New …". Query parameters of the URL may prefill it (`?customerId=3`). */
  blank: () => Draft;
  title: (rec: Rec | null, draft: Draft) => ReactNode;
  subtitle?: (rec: Rec) => ReactNode;
  /** The label used in messages ("Delete server “web-1”?"). */
  label: (rec: Rec) => string;
  form: (form: Form<Draft>, rec: Rec | null) => ReactNode;
  /** Related panels, for a stored record (placements of an application, contacts of a customer…). */
  related?: (rec: Rec) => ReactNode;
  /** What deleting removes, in a sentence. */
  deleteNote?: (rec: Rec) => ReactNode;
  /** Stack layout only: panels of the narrower right column under the form (History goes there too). */
  relatedSide?: (rec: Rec) => ReactNode;
  /** Related panels in a side column (default) or in two columns under the form ('stack'). */
  layout?: 'side' | 'stack';
}

function prefill(spec: EditorSpec): Draft {
  const d = spec.blank();
  for (const [k, v] of currentLocation().query) {
    if (!(k in spec.schema.shape)) continue;
    if (/Ids$/.test(k)) d[k] = v.split(',').filter(Boolean).map(Number);
    else d[k] = /^\d+$/.test(v) && /Id$/.test(k) ? Number(v) : v;
  }
  return d;
}

/** The record page every entity shares: load, edit with inline validation, save, delete. */
export function EntityEditor({ spec, id }: { spec: EditorSpec; id: number | 'new' }) {
  return id === 'new' ? <EditorBody spec={spec} rec={null} /> : <LoadedEditor spec={spec} id={id} />;
}

function LoadedEditor({ spec, id }: { spec: EditorSpec; id: number }) {
  const meta = META[spec.entity];
  const q = useApiQuery(`${spec.entity}.get` as MethodName, { id } as MethodInput<MethodName>);
  const rec = (q.data as Rec | undefined) ?? null;
  if (q.error && !rec) {
    return (
      <div className="page">
        <PageHeader title={`${meta.singular[0]!.toUpperCase()}${meta.singular.slice(1)} #${id}`} back={{ to: meta.path, label: meta.plural }} />
        <ErrorBox error={q.error} />
      </div>
    );
  }
  if (!rec) {
    return (
      <div className="page">
        <Spinner />
      </div>
    );
  }
  return <EditorBody spec={spec} rec={rec} />;
}

function EditorBody({ spec, rec }: { spec: EditorSpec; rec: Rec | null }) {
  const meta = META[spec.entity];
  const isNew = rec === null;
  const keys = useMemo(() => Object.keys(spec.schema.shape), [spec.schema]);
  const form = useForm<Draft>(spec.schema, isNew ? prefill(spec) : pick(rec, keys));
  const [loadedAt, setLoadedAt] = useState<unknown>(rec?.updatedAt ?? null);
  const { save, saving } = useEntitySave(spec.entity);
  const del = useEntityDelete(spec.entity);
  const [confirming, setConfirming] = useState(false);

  // Follow changes made elsewhere (another window, an import) unless the user is editing. Only a
  // new record from the cache triggers it (adjusted while rendering, not in an effect): a save
  // resets the form itself, and must not be undone by the older record still in the cache.
  const [followed, setFollowed] = useState(rec);
  if (rec !== followed) {
    setFollowed(rec);
    if (rec && loadedAt !== rec.updatedAt && !form.dirty) {
      setLoadedAt(rec.updatedAt);
      form.reset(pick(rec, keys));
    }
  }

  const onSave = useCallback(async () => {
    const r = await save(form, rec ? rec.id : null);
    if (!r) return;
    if (!rec) navigate(detailPath(spec.entity, r.id as number), { replace: true });
    else {
      setLoadedAt(r.updatedAt);
      form.reset(pick(r, keys));
    }
  }, [save, form, rec, spec.entity, keys]);
  useHotkey('s', () => void onSave());

  const actions = (
    <>
      {form.dirty && <span className="unsaved">Unsaved changes</span>}
      {rec && (
        <button className="btn btn-ghost-danger" onClick={() => setConfirming(true)}>
          <Icon name="trash" /> Delete
        </button>
      )}
      <button className="btn btn-primary" disabled={saving} onClick={() => void onSave()} data-testid="save">
        <Icon name="check" /> {isNew ? `Create ${meta.singular}` : 'Save'}
      </button>
    </>
  );

  const formEl = (
    <form
      className="form"
      data-testid={`form-${spec.entity}`}
      onSubmit={(e) => {
        e.preventDefault();
        void onSave();
      }}
    >
      {spec.form(form, rec)}
      {form.errors._ && <div className="field-error">{form.errors._}</div>}
      <button type="submit" hidden />
    </form>
  );

  const related = rec ? (
    <>
      {spec.related?.(rec)}
      <HistoryPanel entity={spec.entity} id={rec.id} />
    </>
  ) : null;
  return (
    <div className="page" data-testid={`editor-${spec.entity}`}>
      <PageHeader
        icon={meta.icon}
        back={{ to: meta.path, label: meta.plural }}
        title={spec.title(rec, form.draft)}
        subtitle={rec ? spec.subtitle?.(rec) : meta.description}
        actions={actions}
      />
      {related && spec.layout === 'stack' ? (
        <div className="stack">
          {formEl}
          <div className="related-grid">
            <div className="related-col">{spec.related?.(rec!)}</div>
            <div className="related-col">
              {spec.relatedSide?.(rec!)}
              <HistoryPanel entity={spec.entity} id={rec!.id} />
            </div>
          </div>
        </div>
      ) : related ? (
        <div className="split">
          <div className="split-main">{formEl}</div>
          <aside className="split-side">{related}</aside>
        </div>
      ) : (
        <div className="narrow">{formEl}</div>
      )}
      {confirming && rec && (
        <DeleteDialog
          entity={spec.entity}
          id={rec.id}
          title={`Delete ${meta.singular} “${spec.label(rec)}”?`}
          note={
            <>
              {spec.deleteNote?.(rec) ?? `This removes the ${meta.singular} “${spec.label(rec)}” from the inventory.`} The change is written to the audit log and
              cannot be undone from here.
            </>
          }
          confirmLabel={`Delete ${meta.singular}`}
          onClose={() => setConfirming(false)}
          onDelete={async () => {
            await del(rec.id, spec.label(rec));
            navigate(meta.path, { replace: true });
          }}
        />
      )}
    </div>
  );
}
