import { useEffect, useMemo, useRef, useState } from 'react';
import type { EntityName } from '../../../shared/contract/inventory.js';
import type { MethodOutput } from '../../../shared/contract/index.js';
import { useApiQuery } from '../api/queries.js';
import { META } from '../features/inventory/meta.js';
import { errorMessage } from '../lib/form.js';
import { useDebounced } from '../lib/hooks.js';
import { navigate } from '../lib/router.js';
import { ROUTES } from '../routes.js';
import { Icon, type IconName } from './Icon.js';

interface Item {
  key: string;
  icon: IconName;
  label: string;
  detail: string;
  kind: string;
  to: string;
}

const NO_ITEMS: Item[] = [];
const toItems = (r: MethodOutput<'search.global'>): Item[] =>
  r.items.map((it) => {
    const meta = META[it.entity as EntityName];
    return {
      key: `${it.entity}:${it.id}`,
      icon: meta?.icon ?? 'dot',
      label: it.label,
      detail: it.detail,
      kind: meta?.singular ?? it.entity,
      to: `/${it.entity}/${it.id}`,
    };
  });

/** Ctrl+K: search everything (search.global) or jump to a screen; arrows move, Enter opens. */
export function CommandPalette({ onClose }: { onClose: () => void }) {
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 120);
  const search = useApiQuery('search.global', { query: q, limit: 30 }, { enabled: Boolean(q), select: toItems });
  const results = (q && search.data) || NO_ITEMS;
  const searching = Boolean(q) && search.isFetching;
  const error = q && search.error ? errorMessage(search.error) : null;
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);

  const screens: Item[] = useMemo(() => {
    const t = text.trim().toLowerCase();
    return ROUTES.filter((r) => r.nav && (!t || r.nav.label.toLowerCase().includes(t))).map((r) => ({
      key: 'go:' + r.path,
      icon: r.nav!.icon,
      label: r.nav!.label,
      detail: 'Go to screen',
      kind: 'screen',
      to: r.path,
    }));
  }, [text]);

  const items = q ? [...results, ...screens] : screens;
  useEffect(() => setActive(0), [q, results.length]);
  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  const open = (it: Item | undefined) => {
    if (!it) return;
    navigate(it.to);
    onClose();
  };

  return (
    <div className="backdrop backdrop-top" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Search">
        <div className="palette-input">
          <Icon name="search" />
          <input
            autoFocus
            placeholder="Search the inventory or type a screen name…"
            value={text}
            aria-label="Search"
            role="combobox"
            aria-expanded="true"
            aria-controls="palette-list"
            aria-activedescendant={items[active] ? `pal-${active}` : undefined}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') {
                e.preventDefault();
                setActive((a) => Math.min(items.length - 1, a + 1));
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                setActive((a) => Math.max(0, a - 1));
              } else if (e.key === 'Enter') {
                e.preventDefault();
                open(items[active]);
              } else if (e.key === 'Escape') {
                e.preventDefault();
                onClose();
              }
            }}
          />
          {searching && <span className="spinner spinner-small" />}
        </div>
        <ul className="palette-list" id="palette-list" role="listbox" ref={listRef}>
          {items.map((it, i) => (
            <li
              key={it.key}
              id={`pal-${i}`}
              role="option"
              aria-selected={i === active}
              className={'palette-item' + (i === active ? ' active' : '')}
              onMouseMove={() => setActive(i)}
              onMouseDown={(e) => {
                e.preventDefault();
                open(it);
              }}
            >
              <Icon name={it.icon} />
              <span className="palette-label">{it.label}</span>
              <span className="palette-detail">{it.detail}</span>
              <span className="palette-kind">{it.kind}</span>
            </li>
          ))}
          {q && !searching && results.length === 0 && !error && <li className="palette-empty">Nothing in the inventory matches “{q}”.</li>}
          {error && <li className="palette-empty error">{error}</li>}
        </ul>
        <footer className="palette-foot">
          <span>
            <kbd className="kbd">↑</kbd> <kbd className="kbd">↓</kbd> move
          </span>
          <span>
            <kbd className="kbd">Enter</kbd> open
          </span>
          <span>
            <kbd className="kbd">Esc</kbd> close
          </span>
        </footer>
      </div>
    </div>
  );
}
