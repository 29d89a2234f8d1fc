import { useEffect, useState, type ReactNode } from 'react';
import type { EntityName } from '../../../../shared/contract/inventory.js';
import type { MethodInput, MethodName } from '../../../../shared/contract/index.js';
import { EmptyState, ErrorBox, PageHeader } from '../../components/Bits.js';
import { DataTable, Pager, SearchBox, type Column, type SortState } from '../../components/DataTable.js';
import { Icon } from '../../components/Icon.js';
import { useDebounced, useStoredState } from '../../lib/hooks.js';
import { navigate } from '../../lib/router.js';
import { detailPath, META } from './meta.js';
import { useApiQuery } from '../../api/queries.js';

const PAGE = 50;

/**
 * The list screen every inventory entity shares: search (debounced, server-side), sortable
 * columns (server-side), paging with the total, an empty state that explains the entity.
 */
export function EntityList<R extends { id: number }>({
  entity,
  columns,
  defaultSort = { sort: 'name', desc: false },
  filters = {},
  toolbar,
  rowClass,
  subtitle,
}: {
  entity: EntityName;
  columns: Column<R>[];
  defaultSort?: SortState;
  filters?: Record<string, unknown>;
  toolbar?: ReactNode;
  rowClass?: (r: R) => string;
  subtitle?: ReactNode;
}) {
  const meta = META[entity];
  const [query, setQuery] = useState('');
  const q = useDebounced(query.trim(), 250);
  const [sort, setSort] = useStoredState<SortState>(`sort:${entity}`, defaultSort);
  const [offset, setOffset] = useState(0);
  const filterKey = JSON.stringify(filters);
  useEffect(() => setOffset(0), [filterKey]);
  const input = { query: q || undefined, sort: sort.sort, desc: sort.desc, limit: PAGE, offset, ...filters };
  const list = useApiQuery(`${entity}.list` as MethodName, input as MethodInput<MethodName>);
  const data = list.data as { items: R[]; total: number } | undefined;
  const filtered = Boolean(q) || Object.values(filters).some((v) => v !== undefined);
  const empty = data && data.total === 0 && !filtered;

  return (
    <div className="page" data-testid={`list-${entity}`}>
      <PageHeader
        icon={meta.icon}
        title={meta.plural}
        subtitle={subtitle ?? (data ? `${data.total} ${data.total === 1 ? meta.singular : meta.plural.toLowerCase()}` : '\u00a0')}
        actions={
          <button className="btn btn-primary" onClick={() => navigate(detailPath(entity, 'new'))}>
            <Icon name="plus" /> New {meta.singular}
          </button>
        }
      />
      {!empty && (
        <div className="toolbar">
          <SearchBox
            placeholder={`Search ${meta.plural.toLowerCase()}…`}
            label={`Search ${meta.plural.toLowerCase()}`}
            value={query}
            onChange={(text) => {
              setQuery(text);
              setOffset(0);
            }}
          />
          {toolbar}
          <div className="spacer" />
          {data && <Pager offset={offset} limit={PAGE} total={data.total} onPage={setOffset} />}
        </div>
      )}
      {list.error && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {empty ? (
        <EmptyState
          icon={meta.icon}
          title={`No ${meta.plural.toLowerCase()} yet`}
          action={
            <button className="btn btn-primary" onClick={() => navigate(detailPath(entity, 'new'))}>
              <Icon name="plus" /> New {meta.singular}
            </button>
          }
        >
          {meta.description}
        </EmptyState>
      ) : data ? (
        <>
          <DataTable
            testId={`table-${entity}`}
            columns={columns}
            rows={data.items}
            sort={sort}
            onSort={(s) => {
              setSort(s);
              setOffset(0);
            }}
            onOpen={(r) => navigate(detailPath(entity, r.id))}
            loading={list.isFetching}
            {...(rowClass ? { rowClass } : {})}
          />
          {data.items.length === 0 && <div className="no-match">{q ? `Nothing matches “${q}”${filtered && Object.values(filters).some((v) => v !== undefined) ? ' with this filter' : ''}.` : 'Nothing matches this filter.'}</div>}
        </>
      ) : null}
    </div>
  );
}
