import type { ReactNode } from 'react';
import { Icon } from './Icon.js';

export interface Column<R> {
  key: string;
  label: string;
  /** The server-side sort key, when the column sorts. */
  sort?: string;
  render: (row: R) => ReactNode;
  width?: string;
  align?: 'right' | 'left' | 'center';
  className?: string;
}

export interface SortState {
  sort: string;
  desc: boolean;
}

/** A dense table with server-side sorting; rows open on click or Enter. */
export function DataTable<R extends { id: number }>({
  columns,
  rows,
  sort,
  onSort,
  onOpen,
  loading,
  testId,
  rowClass,
}: {
  columns: Column<R>[];
  rows: R[];
  sort?: SortState;
  onSort?: (s: SortState) => void;
  onOpen?: (row: R) => void;
  loading?: boolean;
  testId?: string;
  rowClass?: (row: R) => string;
}) {
  return (
    <div className={'table-wrap' + (loading ? ' is-loading' : '')}>
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort && c.sort && sort.sort === c.sort;
              return (
                <th key={c.key} style={{ width: c.width, textAlign: c.align }} aria-sort={active ? (sort!.desc ? 'descending' : 'ascending') : undefined}>
                  {c.sort && onSort ? (
                    <button className={'th-sort' + (active ? ' active' : '')} onClick={() => onSort({ sort: c.sort!, desc: active ? !sort!.desc : false })}>
                      {c.label}
                      <Icon name={active && sort!.desc ? 'down' : 'up'} size={12} className={active ? '' : 'ghost'} />
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.id}
              tabIndex={onOpen ? 0 : undefined}
              className={(onOpen ? 'clickable ' : '') + (rowClass?.(r) ?? '')}
              onClick={onOpen ? () => onOpen(r) : undefined}
              onKeyDown={onOpen ? (e) => e.key === 'Enter' && onOpen(r) : undefined}
            >
              {columns.map((c) => (
                <td key={c.key} style={{ textAlign: c.align }} className={c.className}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ offset, limit, total, onPage }: { offset: number; limit: number; total: number; onPage: (offset: number) => void }) {
  if (total === 0) return null;
  const from = offset + 1;
  const to = Math.min(offset + limit, total);
  return (
    <div className="pager">
      <span className="muted" data-testid="pager-total">
        {from}–{to} of {total}
      </span>
      <button className="btn btn-small" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button className="btn btn-small" disabled={to >= total} onClick={() => onPage(offset + limit)}>
        Next
      </button>
    </div>
  );
}

/** A toolbar select narrowing a list: "" is the first choice (`allLabel`), then `options`. */
export function FilterSelect({ label, allLabel, value, options, onChange }: { label: string; allLabel: string; value: string | number; options: readonly { value: string | number; label: string }[]; onChange: (value: string) => void }) {
  return (
    <select className="toolbar-select" aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{allLabel}</option>
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** The toolbar's search field (with its magnifier); `onChange` gets the text as typed. */
export function SearchBox({ label, placeholder, value, onChange }: { label: string; placeholder: string; value: string; onChange: (text: string) => void }) {
  return (
    <div className="search-box">
      <Icon name="search" />
      <input type="search" placeholder={placeholder} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}
