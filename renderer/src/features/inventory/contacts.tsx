import { useState } from 'react';
import { ContactFields, type Contact } from '../../../../shared/contract/inventory.js';
import { useApi } from '../../api/context.js';
import { Badge, Section } from '../../components/Bits.js';
import { FilterSelect, type Column } from '../../components/DataTable.js';
import { ConfirmButtons, ConfirmDialog, Dialog } from '../../components/Dialog.js';
import { CheckField, SelectField, TextField } from '../../components/Fields.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage, pick, useForm } from '../../lib/form.js';
import { href } from '../../lib/router.js';
import { EntityEditor, type Draft, type EditorSpec } from './EntityEditor.js';
import { EntityList } from './EntityList.js';
import { useCustomers } from './lookups.js';
import { useEntitySave } from './save.js';
import { useApiQuery } from '../../api/queries.js';
import { useDebounced } from '../../lib/hooks.js';

const columns: Column<Contact>[] = [
  { key: 'name', label: 'Name', sort: 'name', render: (c) => <strong>{c.name}</strong> },
  { key: 'email', label: 'Email', sort: 'email', render: (c) => <span className="mono">{c.email}</span> },
  { key: 'customer', label: 'Customer', sort: 'customerName', render: (c) => c.customerName },
  { key: 'role', label: 'Role', sort: 'role', render: (c) => c.role || <span className="muted">—</span> },
  { key: 'opt', label: 'Notices', sort: 'optedOut', render: (c) => (c.optedOut ? <Badge tone="amber">opted out</Badge> : <Badge tone="green">receives</Badge>) },
];

export function ContactsScreen() {
  const customers = useCustomers();
  const [customer, setCustomer] = useState('');
  return (
    <EntityList<Contact>
      entity="contacts"
      columns={columns}
      filters={{ customerId: customer ? Number(customer) : undefined }}
      toolbar={
        customers.items.length > 0 && (
          <FilterSelect label="Filter by customer" allLabel="All customers" value={customer} options={customers.options} onChange={setCustomer} />
        )
      }
    />
  );
}

/** Said while typing: the address is already a contact of another customer (it will get one message per notice, naming both). */
function SharedAddressWarning({ email, customerId }: { email: string; customerId: number | undefined }) {
  const typed = useDebounced(email.trim(), 300);
  const q = useApiQuery('contacts.list', { query: typed, limit: 20 }, { enabled: /^[^@\s]+@[^@\s]+$/.test(typed) });
  const others = (q.data?.items ?? []).filter((c) => c.email.toLowerCase() === typed.toLowerCase() && c.customerId !== customerId);
  if (!others.length) return null;
  return (
    <div className="callout callout-warn span-2" role="status" data-testid="shared-address">
      <Icon name="warn" />
      <span>
        {typed} is already a contact of {[...new Set(others.map((c) => c.customerName))].join(', ')}. It will get one message per notice, naming each customer it concerns.
      </span>
    </div>
  );
}

function ContactFormFields({ form, withCustomer }: { form: Parameters<EditorSpec['form']>[0]; withCustomer: boolean }) {
  const customers = useCustomers();
  return (
    <div className="grid-2">
      {withCustomer && <SelectField form={form} name="customerId" label="Customer" options={customers.options} placeholder="Choose a customer…" className="span-2" />}
      <TextField form={form} name="name" label="Name" placeholder="e.g. Ana García" />
      <TextField form={form} name="email" label="Email" type="email" placeholder="e.g. ana@example.com" />
      <TextField form={form} name="role" label="Role" placeholder="e.g. IT manager" />
      <SharedAddressWarning email={String(form.get('email') ?? '')} customerId={form.get('customerId') as number | undefined} />
      <CheckField form={form} name="optedOut" label="Opted out of notices" hint="Kept in the inventory, left out of every audience." />
    </div>
  );
}

export const contactSpec: EditorSpec = {
  entity: 'contacts',
  schema: ContactFields,
  blank: () => ({ customerId: undefined, name: '', email: '', role: '', optedOut: false }),
  title: (rec, d) => String(d.name || rec?.name || 'New contact'),
  subtitle: (rec) => (
    <>
      Contact at <a href={href(`/customers/${String(rec.customerId)}`)}>{String(rec.customerName)}</a>
    </>
  ),
  label: (r) => `${String(r.name)} <${String(r.email)}>`,
  form: (form) => (
    <div className="card">
      <div className="card-body">
        <ContactFormFields form={form} withCustomer />
      </div>
    </div>
  ),
};

export function ContactPage({ id }: { id: number | 'new' }) {
  return <EntityEditor key={String(id)} spec={contactSpec} id={id} />;
}

function ContactDialog({ customerId, contact, onClose }: { customerId: number; contact: Contact | null; onClose: () => void }) {
  const form = useForm<Draft>(ContactFields, contact ? pick(contact, Object.keys(ContactFields.shape)) : { customerId, name: '', email: '', role: '', optedOut: false });
  const { save, saving } = useEntitySave('contacts');
  const go = async () => {
    if (await save(form, contact?.id ?? null)) onClose();
  };
  return (
    <Dialog
      title={contact ? `Edit ${contact.name}` : 'New contact'}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} disabled={saving} onConfirm={() => void go()} testId="contact-save">
          {contact ? 'Save contact' : 'Add contact'}
        </ConfirmButtons>
      }
    >
      <form
        data-testid="contact-form"
        onSubmit={(e) => {
          e.preventDefault();
          void go();
        }}
      >
        <ContactFormFields form={form} withCustomer={false} />
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}

/** The contacts of one customer, edited in place (the customer page). */
export function ContactsPanel({ customerId }: { customerId: number }) {
  const api = useApi();
  const toast = useToast();
  const q = useApiQuery('contacts.list', { customerId, limit: 500, sort: 'name' });
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);
  const items: Contact[] = q.data?.items ?? [];
  const toggleOptOut = async (c: Contact) => {
    try {
      await api.call('contacts.update', { ...pick(c, Object.keys(ContactFields.shape)), id: c.id, optedOut: !c.optedOut } as never);
      toast.success(c.optedOut ? `${c.name} receives notices again.` : `${c.name} opted out of notices.`);
    } catch (e) {
      toast.error(errorMessage(e));
    }
  };
  return (
    <Section
      title="Contacts"
      count={q.data?.total}
      actions={
        <button className="btn btn-small" onClick={() => setEditing('new')} data-testid="add-contact">
          <Icon name="plus" size={14} /> Add contact
        </button>
      }
    >
      {items.length ? (
        <table className="table table-inner" data-testid="contacts-of-customer">
          <tbody>
            {items.map((c) => (
              <tr key={c.id} className={c.optedOut ? 'row-dim' : ''}>
                <td>
                  <strong>{c.name}</strong>
                  <div className="muted small">{c.role}</div>
                </td>
                <td className="mono small">{c.email}</td>
                <td>
                  <label className="check small" title="Receives maintenance notices">
                    <input type="checkbox" checked={!c.optedOut} onChange={() => void toggleOptOut(c)} aria-label={`${c.name} receives notices`} />
                    <span>{c.optedOut ? 'opted out' : 'notices'}</span>
                  </label>
                </td>
                <td className="row-actions">
                  <button className="icon-btn" aria-label={`Edit ${c.name}`} onClick={() => setEditing(c)}>
                    <Icon name="edit" size={14} />
                  </button>
                  <button className="icon-btn" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                    <Icon name="trash" size={14} />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No contact yet. Contacts receive the maintenance notices for this customer.</p>
      )}
      {editing && <ContactDialog customerId={customerId} contact={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete contact “${deleting.name}”?`}
          body={<p>{deleting.name} &lt;{deleting.email}&gt; will no longer receive notices. To keep them but stop the mail, uncheck “notices” instead.</p>}
          confirmLabel="Delete contact"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api.call('contacts.delete', { id: deleting.id });
            toast.success(`Deleted contact “${deleting.name}”.`);
          }}
        />
      )}
    </Section>
  );
}
