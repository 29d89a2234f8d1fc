import type { ReactNode } from 'react';
import { readableOn } from '../lib/format.js';
import { href } from '../lib/router.js';
import { Icon, type IconName } from './Icon.js';

export type Tone = 'neutral' | 'green' | 'amber' | 'red' | 'blue' | 'violet';

export function Badge({ tone = 'neutral', children, title }: { tone?: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

/** An environment's name on its own colour. */
export function EnvTag({ name, colour }: { name: string; colour: string }) {
  return (
    <span className="env-tag" style={{ background: colour, color: readableOn(colour) }}>
      {name}
    </span>
  );
}

export function Dot({ colour }: { colour: string }) {
  return <span className="dot" style={{ background: colour }} />;
}

export function PageHeader({ title, subtitle, actions, back, icon }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; back?: { to: string; label: string }; icon?: IconName }) {
  return (
    <header className="page-head">
      <div className="page-title">
        {back && (
          <a className="back-link" href={href(back.to)}>
            <Icon name="back" size={14} /> {back.label}
          </a>
        )}
        <h1>
          {icon && <Icon name={icon} size={18} className="title-icon" />}
          {title}
        </h1>
        {subtitle && <div className="page-sub">{subtitle}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

export function EmptyState({ icon, title, children, action }: { icon: IconName; title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty-icon">
        <Icon name={icon} size={28} />
      </div>
      <h2>{title}</h2>
      <p>{children}</p>
      {action}
    </div>
  );
}

export function Section({ title, actions, children, id, count }: { title: string; actions?: ReactNode; children: ReactNode; id?: string; count?: number }) {
  return (
    <section className="card" id={id} aria-label={title}>
      <header className="card-head">
        <h2>
          {title}
          {count !== undefined && <span className="count">{count}</span>}
        </h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}

export function Spinner() {
  return <div className="spinner" aria-label="Loading" />;
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div className="callout callout-error" role="alert">
      <Icon name="warn" />
      <span>{error.message}</span>
      {onRetry && (
        <button className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A failure's message (e.g. from useAction) as an inline error callout; nothing when there is none. */
export function ErrorLine({ error, testId }: { error: string | null; testId?: string }) {
  if (!error) return null;
  return (
    <div className="callout callout-error" role="alert" data-testid={testId}>
      <Icon name="warn" />
      <span>{error}</span>
    </div>
  );
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}
