import { Fragment, useState } from 'react';
import type { Audience, Window } from '../../../../shared/contract/windows.js';
import { ErrorBox, Section, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { href } from '../../lib/router.js';
import { fmtSpan } from './time.js';

/** What some customers' notices would lack in their language: a template, or the window's impact text. */
function LanguageWarnings({ audience }: { audience: Audience }) {
  const noTemplate = audience.languages.filter((l) => !l.hasTemplate);
  const noImpact = audience.languages.filter((l) => l.hasTemplate && !l.hasImpact);
  if (!noTemplate.length && !noImpact.length) return null;
  const who = (l: Audience['languages'][number]) => `${l.customers} customer${l.customers === 1 ? '' : 's'} reading “${l.language}”`;
  return (
    <div className="callout callout-warn" data-testid="audience-language-warnings">
      <Icon name="warn" />
      <ul className="plain-list">
        {noTemplate.map((l) => (
          <li key={'t' + l.language}>
            No notice templates in “{l.language}”: {who(l)} will get the English notices. Add templates in Notices → Templates.
          </li>
        ))}
        {noImpact.map((l) => (
          <li key={'i' + l.language}>
            No impact text in “{l.language}”: {who(l)} will read the English one. Edit the window to add it.
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Who will be told, before anything is sent: customers with contracts in force on the touched
 * applications, their contacts (opted-out excluded), and the window in each customer's own zone.
 */
export function AudienceSection({
  audience,
  error,
  onRetry,
  zone,
  w,
  onPreview,
}: {
  audience: Audience | undefined;
  error: Error | null;
  onRetry: () => void;
  zone: string;
  w: Window;
  onPreview: (contactId: number) => void;
}) {
  const [open, setOpen] = useState<Set<number>>(new Set());
  const toggle = (id: number) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const summary = audience ? (
    <span data-testid="audience-summary">
      {audience.total} contact{audience.total === 1 ? '' : 's'} at {audience.customers.length} customer{audience.customers.length === 1 ? '' : 's'} will be told
      {audience.excludedOptedOut ? ` · ${audience.excludedOptedOut} opted out (not told)` : ''}
      {audience.messages < audience.total ? ` · ${audience.messages} messages per notice` : ''}
    </span>
  ) : null;
  return (
    <Section title="Audience" id="audience" count={audience?.total}>
      {error ? (
        <ErrorBox error={error} onRetry={onRetry} />
      ) : !audience ? (
        <Spinner />
      ) : audience.customers.length === 0 ? (
        <div className="muted" data-testid="audience-empty">
          Nobody will be told:{' '}
          {w.applicationIds.length
            ? 'no customer has a contract in force on these applications at the time of the window.'
            : 'the window touches no application. Edit it and choose the applications it touches.'}
        </div>
      ) : (
        <>
          <p className="audience-summary">{summary}</p>
          <LanguageWarnings audience={audience} />
          {audience.shared.length > 0 && (
            <div className="callout callout-ok" data-testid="audience-shared">
              <Icon name="contact" />
              <ul className="plain-list">
                {audience.shared.map((s) => (
                  <li key={s.email}>
                    <span className="mono">{s.email}</span> is a contact of {s.customers.join(' and ')}: it gets one message per notice, naming each of them.
                  </li>
                ))}
              </ul>
            </div>
          )}
          <table className="table audience-table" data-testid="audience">
            <thead>
              <tr>
                <th style={{ width: 28 }} />
                <th>Customer</th>
                <th>Their time</th>
                <th>Contracts</th>
                <th style={{ textAlign: 'right' }}>Told</th>
                <th style={{ textAlign: 'right' }}>Opted out</th>
              </tr>
            </thead>
            <tbody>
              {audience.customers.map((c) => {
                const isOpen = open.has(c.customerId);
                return (
                  <Fragment key={c.customerId}>
                    <tr className="clickable" onClick={() => toggle(c.customerId)} data-testid="audience-row" data-customer={c.name}>
                      <td>
                        <Icon name={isOpen ? 'down' : 'placement'} size={14} />
                      </td>
                      <td>
                        <a href={href(`/customers/${c.customerId}`)} onClick={(e) => e.stopPropagation()}>
                          <strong>{c.name}</strong>
                        </a>
                        <div className="muted small">
                          {c.timezone} · {c.language}
                        </div>
                      </td>
                      <td>
                        <div data-testid="audience-local">{c.startLocal} – {c.endLocal}</div>
                        <div className="muted small" title="Computed here with luxon from the stored UTC times">
                          {c.timezone === zone ? 'same zone as you' : fmtSpan(w.start, w.end, c.timezone)}
                        </div>
                      </td>
                      <td>
                        {c.contracts.map((k) => (
                          <a key={k.id} className="chip-link" href={href(`/contracts/${k.id}`)} onClick={(e) => e.stopPropagation()}>
                            {k.reference} <span className="muted">({k.state})</span>
                          </a>
                        ))}
                      </td>
                      <td style={{ textAlign: 'right' }} data-testid="audience-count">
                        {c.contactCount}
                      </td>
                      <td style={{ textAlign: 'right' }} className={c.excludedOptedOut ? '' : 'muted'} data-testid="audience-optedout">
                        {c.excludedOptedOut}
                      </td>
                    </tr>
                    {isOpen && (
                      <tr className="audience-contacts">
                        <td />
                        <td colSpan={5}>
                          {c.contacts.length === 0 ? (
                            <span className="muted">No contact to tell{c.excludedOptedOut ? ' (all opted out)' : ''}: add one on the customer's page.</span>
                          ) : (
                            <ul className="contact-list">
                              {c.contacts.map((p) => (
                                <li key={p.id} data-testid="audience-contact">
                                  <span>
                                    <strong>{p.name}</strong> &lt;{p.email}&gt; {p.role && <span className="muted">· {p.role}</span>}
                                  </span>
                                  <button className="btn btn-small" onClick={() => onPreview(p.id)} data-testid="preview-contact">
                                    Preview for {p.name}
                                  </button>
                                </li>
                              ))}
                            </ul>
                          )}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
            <tfoot>
              <tr>
                <td />
                <td colSpan={3}>
                  <strong>Total</strong>
                </td>
                <td style={{ textAlign: 'right' }} data-testid="audience-total">
                  <strong>{audience.total}</strong>
                </td>
                <td style={{ textAlign: 'right' }} data-testid="audience-excluded">
                  {audience.excludedOptedOut}
                </td>
              </tr>
            </tfoot>
          </table>
        </>
      )}
    </Section>
  );
}
