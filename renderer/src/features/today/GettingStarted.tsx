/** First run: what to create, in the order each step needs the one before. Gone once all exist. */
import type { EntityName } from '../../../../shared/contract/inventory.js';
import { Section } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { href } from '../../lib/router.js';
import { META } from '../inventory/meta.js';
import './today.css';

const ORDER: { entity: EntityName; why: string }[] = [
  { entity: 'environments', why: 'production, staging… — servers belong to one' },
  { entity: 'servers', why: 'the hosts Puesta reaches over SSH' },
  { entity: 'applications', why: 'what you install and upgrade' },
  { entity: 'placements', why: 'which application runs on which server' },
  { entity: 'customers', why: 'who is told about maintenance windows' },
  { entity: 'contracts', why: 'which applications a customer has, and when work is allowed' },
];

export function GettingStarted({ counts }: { counts: Partial<Record<EntityName, number>> }) {
  if (ORDER.some((s) => counts[s.entity] === undefined) || ORDER.every((s) => (counts[s.entity] ?? 0) > 0)) return null;
  const next = ORDER.find((s) => !counts[s.entity])!.entity;
  return (
    <Section title="Getting started">
      <ol className="getting-started" data-testid="getting-started">
        {ORDER.map(({ entity, why }) => {
          const done = (counts[entity] ?? 0) > 0;
          return (
            <li key={entity} className={done ? 'done' : entity === next ? 'next' : undefined}>
              <Icon name={done ? 'check' : META[entity].icon} size={14} />{' '}
              <a href={href(entity === next ? `${META[entity].path}/new` : META[entity].path)}>{META[entity].plural}</a> <span className="muted small">— {why}</span>
            </li>
          );
        })}
      </ol>
    </Section>
  );
}
