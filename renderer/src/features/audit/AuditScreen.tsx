/**
 * The audit log: every change and operation with who, when, on what, and before/after — filtered by
 * operator, entity, action, time and text, kept in the address (so a server's history links here
 * pre-filtered), and exported as CSV with the same filter.
 */
import { Fragment, useState } from 'react';
import type { MethodInput, MethodOutput } from '../../../../shared/contract/index.js';
import { ENTITIES } from '../../../../shared/contract/inventory.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorLine, PageHeader } from '../../components/Bits.js';
import { FilterSelect, Pager, SearchBox } from '../../components/DataTable.js';
import { Icon } from '../../components/Icon.js';
import { formatDateTime } from '../../lib/format.js';
import { href, navigate, useLocation } from '../../lib/router.js';
import { META } from '../inventory/meta.js';
import { download } from '../transfer/TransferScreen.js';
import { changesOf, localDayStart } from './changes.js';
import './audit.css';

type Entry = MethodOutput<'audit.list'>['items'][number];
const PAGE = 50;
type Key = 'q' | 'actor' | 'entity' | 'entityId' | 'action' | 'from' | 'to';
const NO_FACETS = { actors: [], entities: [], actions: [] };

/** The filter as the API takes it, from the address's query. */
function filterOf(q: URLSearchParams): MethodInput<'audit.export'> {
  const v = (k: Key) => q.get(k) || undefined;
  const id = Number(q.get('entityId'));
  return {
    query: v('q'),
    actor: v('actor'),
    entity: v('entity'),
    entityId: id > 0 ? id : undefined,
    action: v('action'),
    from: v('from') && localDayStart(v('from')!),
    to: v('to') && localDayStart(v('to')!, true),
  };
}

const isEntity = (e: string): e is (typeof ENTITIES)[number] => (ENTITIES as readonly string[]).includes(e);

/** The record's own name as the entry recorded it (name, reference, the server of a command), else its number. */
function nameIn(e: Entry): string {
  for (const side of [e.after, e.before]) {
    const r = side && typeof side === 'object' ? (side as Record<string, unknown>) : {};
    const n = r.name ?? r.reference ?? r.server;
    if (typeof n === 'string' && n) return n;
  }
  return `#${e.entityId}`;
}

function Target({ e }: { e: Entry }) {
  const label = isEntity(e.entity) ? META[e.entity].singular : e.entity;
  if (e.entityId === null) return <span>{label}</span>;
  const text = `${label} ${nameIn(e)}`;
  return isEntity(e.entity) ? <a href={href(`${META[e.entity].path}/${e.entityId}`)}>{text}</a> : <span>{text}</span>;
}

function Changes({ e }: { e: Entry }) {
  const rows = changesOf(e.before, e.after);
  if (!rows.length) return <span className="muted">no visible change</span>;
  const shown = rows.slice(0, 4);
  return (
    <ul className="audit-changes">
      {shown.map((c) => (
        <li key={c.field}>
          {c.field && <span className="mono audit-field">{c.field}</span>} {c.before && <del className="audit-before">{c.before}</del>} {c.before && c.after && '→'} {c.after && <ins className="audit-after">{c.after}</ins>}
        </li>
      ))}
      {rows.length > shown.length && <li className="muted small">and {rows.length - shown.length} more</li>}
    </ul>
  );
}

export function AuditScreen() {
  const api = useApi();
  const loc = useLocation();
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const filter = filterOf(loc.query);
  const list = useApiQuery('audit.list', { ...filter, limit: PAGE, offset });
  const facets = useApiQuery('audit.facets', {}).data ?? NO_FACETS;
  const set = (k: Key, v: string) => {
    const q = new URLSearchParams(loc.query);
    if (v) q.set(k, v);
    else q.delete(k);
    if (k === 'entity') q.delete('entityId');
    setOffset(0);
    navigate(`/audit${q.size ? `?${q}` : ''}`, { replace: true });
  };
  const exportCsv = async () => {
    setError(null);
    try {
      const r = await api.call('audit.export', filter);
      download(r.filename, r.content, 'text/csv');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const opts = (xs: string[]) => xs.map((x) => ({ value: x, label: x }));
  const items = list.data?.items ?? [];
  return (
    <div className="page" data-testid="audit">
      <PageHeader
        icon="audit"
        title="Audit log"
        subtitle="Every change and operation: who, when, on what, and what it was before and after."
        actions={
          <button className="btn" onClick={() => void exportCsv()} data-testid="audit-export">
            <Icon name="download" /> Export CSV
          </button>
        }
      />
      <div className="toolbar audit-toolbar">
        <SearchBox label="Search the audit log" placeholder="Search commands, values…" value={loc.query.get('q') ?? ''} onChange={(v) => set('q', v)} />
        <FilterSelect label="Operator" allLabel="All operators" value={loc.query.get('actor') ?? ''} options={opts(facets.actors)} onChange={(v) => set('actor', v)} />
        <FilterSelect label="Entity" allLabel="All entities" value={loc.query.get('entity') ?? ''} options={opts(facets.entities)} onChange={(v) => set('entity', v)} />
        <FilterSelect label="Action" allLabel="All actions" value={loc.query.get('action') ?? ''} options={opts(facets.actions)} onChange={(v) => set('action', v)} />
        <label className="audit-date">
          From <input type="date" value={loc.query.get('from') ?? ''} onChange={(e) => set('from', e.target.value)} aria-label="From date" />
        </label>
        <label className="audit-date">
          To <input type="date" value={loc.query.get('to') ?? ''} onChange={(e) => set('to', e.target.value)} aria-label="To date (included)" />
        </label>
        {filter.entityId && (
          <button className="btn btn-small" onClick={() => set('entityId', '')}>
            Only {filter.entity} {filter.entityId} <Icon name="close" size={12} />
          </button>
        )}
        <span className="spacer" />
        {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} onPage={setOffset} />}
      </div>
      <ErrorLine error={error ?? list.error?.message ?? null} />
      <div className="card">
        <table className="table audit-table" data-testid="audit-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Operator</th>
              <th>Action</th>
              <th>On</th>
              <th>Before → after</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <Fragment key={e.id}>
                <tr className="audit-row" onClick={() => setOpen(open === e.id ? null : e.id)} aria-expanded={open === e.id}>
                  <td className="nowrap muted">{formatDateTime(e.at)}</td>
                  <td className="nowrap">{e.actor}</td>
                  <td className="nowrap mono">{e.action}</td>
                  <td className="nowrap" onClick={(ev) => ev.stopPropagation()}>
                    <Target e={e} />
                  </td>
                  <td>
                    <Changes e={e} />
                  </td>
                </tr>
                {open === e.id && (
                  <tr className="audit-detail">
                    <td colSpan={5}>
                      <div className="audit-sides">
                        <div>
                          <h4>Before</h4>
                          <pre>{e.before == null ? '—' : JSON.stringify(e.before, null, 2)}</pre>
                        </div>
                        <div>
                          <h4>After</h4>
                          <pre>{e.after == null ? '—' : JSON.stringify(e.after, null, 2)}</pre>
                        </div>
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
            {list.data && !items.length && (
              <tr>
                <td colSpan={5} className="muted">
                  No entry matches these filters.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
