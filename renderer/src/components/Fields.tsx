import { useId, useState, type ReactNode } from 'react';
import type { Form } from '../lib/form.js';
import { Icon } from './Icon.js';

interface Base {
  form: Form<Record<string, unknown>>;
  name: string;
  label: string;
  hint?: ReactNode;
  className?: string;
}

/** Label, control, hint and the field's error under it. */
export function FieldShell({ id, label, hint, error, className, children }: { id: string; label: string; hint?: ReactNode; error?: string | undefined; className?: string | undefined; children: ReactNode }) {
  return (
    <div className={'field' + (error ? ' has-error' : '') + (className ? ' ' + className : '')}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <div className="field-error" id={id + '-err'} role="alert">
          {error}
        </div>
      ) : hint ? (
        <div className="field-hint">{hint}</div>
      ) : null}
    </div>
  );
}

/** What every form field starts with: an id for label/control, the field's error and its value. */
function useField(form: Base['form'], name: string) {
  return { id: useId(), err: form.error(name), v: form.get(name) };
}

/** A text input; `nullable`: empty means null. */
export function TextField({ form, name, label, hint, className, placeholder, type = 'text', mono, nullable }: Base & { placeholder?: string; type?: string; mono?: boolean; nullable?: boolean }) {
  const { id, err, v } = useField(form, name);
  return (
    <FieldShell id={id} label={label} hint={hint} error={err} className={className}>
      <input
        id={id}
        name={name}
        type={type}
        className={mono ? 'mono' : undefined}
        value={v == null ? '' : String(v)}
        placeholder={placeholder}
        aria-invalid={err ? true : undefined}
        onChange={(e) => form.set(name, nullable && e.target.value === '' ? null : e.target.value)}
      />
    </FieldShell>
  );
}

/** A nullable text: empty means null. */
export function NullableTextField(props: Base & { placeholder?: string; mono?: boolean }) {
  return <TextField {...props} nullable />;
}

export function NumberField({ form, name, label, hint, className, min, max }: Base & { min?: number; max?: number }) {
  const { id, err, v } = useField(form, name);
  return (
    <FieldShell id={id} label={label} hint={hint} error={err} className={className}>
      <input
        id={id}
        name={name}
        type="number"
        inputMode="numeric"
        min={min}
        max={max}
        value={typeof v === 'number' && !Number.isNaN(v) ? v : v == null ? '' : String(v)}
        onChange={(e) => form.set(name, e.target.value === '' ? undefined : Number(e.target.value))}
      />
    </FieldShell>
  );
}

export function TextArea({ form, name, label, hint, className, rows = 3, mono }: Base & { rows?: number; mono?: boolean }) {
  const { id, err, v } = useField(form, name);
  return (
    <FieldShell id={id} label={label} hint={hint} error={err} className={className}>
      <textarea id={id} name={name} rows={rows} className={mono ? 'mono' : undefined} value={v == null ? '' : String(v)} onChange={(e) => form.set(name, e.target.value)} />
    </FieldShell>
  );
}

export interface Option {
  value: string | number;
  label: string;
}

/** A select; `nullable` adds a "—" choice meaning null. Numeric option values stay numbers. */
export function SelectField({ form, name, label, hint, className, options, nullable, placeholder }: Base & { options: readonly Option[]; nullable?: string; placeholder?: string }) {
  const { id, err, v } = useField(form, name);
  const numeric = options.length > 0 && typeof options[0]!.value === 'number';
  return (
    <FieldShell id={id} label={label} hint={hint} error={err} className={className}>
      <select
        id={id}
        name={name}
        value={v == null ? '' : String(v)}
        aria-invalid={err ? true : undefined}
        onChange={(e) => {
          const raw = e.target.value;
          form.set(name, raw === '' ? (nullable !== undefined ? null : undefined) : numeric ? Number(raw) : raw);
        }}
      >
        {nullable !== undefined ? <option value="">{nullable}</option> : v == null || v === '' ? <option value="">{placeholder ?? 'Choose…'}</option> : null}
        {options.map((o) => (
          <option key={String(o.value)} value={String(o.value)}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function CheckField({ form, name, label, hint, className }: Base) {
  const id = useId();
  const v = form.get(name);
  return (
    <div className={'field field-check' + (className ? ' ' + className : '')}>
      <label htmlFor={id} className="check">
        <input id={id} name={name} type="checkbox" checked={v === true} onChange={(e) => form.set(name, e.target.checked)} />
        <span>{label}</span>
      </label>
      {hint && <div className="field-hint">{hint}</div>}
    </div>
  );
}

/** Segmented choice for short enums. */
export function Segmented({ form, name, label, hint, className, options }: Base & { options: readonly Option[] }) {
  const { id, err, v } = useField(form, name);
  return (
    <FieldShell id={id} label={label} hint={hint} error={err} className={className}>
      <div className="segmented" role="radiogroup" id={id}>
        {options.map((o) => (
          <button type="button" role="radio" aria-checked={v === o.value} key={String(o.value)} className={v === o.value ? 'on' : ''} onClick={() => form.set(name, o.value)}>
            {o.label}
          </button>
        ))}
      </div>
    </FieldShell>
  );
}

/** A list of short strings (tags, roles, paths) as chips with an input; Enter or comma adds. */
export function ListField({ form, name, label, hint, className, placeholder, mono }: Base & { placeholder?: string; mono?: boolean }) {
  const id = useId();
  const [text, setText] = useState('');
  const list = (form.get(name) as string[] | undefined) ?? [];
  const errs = Object.entries(form.errors).filter(([k]) => k === name || k.startsWith(name + '.'));
  const add = () => {
    const parts = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!parts.length) return;
    form.set(name, [...list, ...parts.filter((p) => !list.includes(p))]);
    setText('');
  };
  const err = errs.length ? errs.map(([k, m]) => (k === name ? m : `“${list[Number(k.split('.').pop())] ?? ''}”: ${m}`)).join('; ') : undefined;
  return (
    <FieldShell id={id} label={label} hint={hint} error={err} className={className}>
      <div className={'chips-input' + (mono ? ' mono' : '')}>
        {list.map((item, i) => (
          <span key={item + i} className={'chip' + (form.errors[`${name}.${i}`] ? ' chip-bad' : '')}>
            {item}
            <button type="button" aria-label={`Remove ${item}`} onClick={() => form.set(name, list.filter((_, j) => j !== i))}>
              <Icon name="close" size={11} />
            </button>
          </span>
        ))}
        <input
          id={id}
          value={text}
          placeholder={list.length ? '' : placeholder}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ',') {
              e.preventDefault();
              add();
            } else if (e.key === 'Backspace' && !text && list.length) form.set(name, list.slice(0, -1));
          }}
          onBlur={add}
        />
      </div>
    </FieldShell>
  );
}

/** Multi-select as a checklist with a filter box (e.g. a contract's applications). */
export function MultiSelectField({ form, name, label, hint, className, options }: Base & { options: readonly Option[] }) {
  const id = useId();
  const [filter, setFilter] = useState('');
  const chosen = new Set((form.get(name) as (string | number)[] | undefined) ?? []);
  const err = form.error(name);
  const shown = options.filter((o) => o.label.toLowerCase().includes(filter.toLowerCase()));
  const toggle = (v: string | number) => {
    const next = new Set(chosen);
    if (next.has(v)) next.delete(v);
    else next.add(v);
    form.set(
      name,
      options.filter((o) => next.has(o.value)).map((o) => o.value),
    );
  };
  return (
    <FieldShell id={id} label={`${label}${chosen.size ? ` (${chosen.size})` : ''}`} hint={hint} error={err} className={className}>
      <div className="multiselect">
        {options.length > 8 && <input id={id} className="multiselect-filter" placeholder="Filter…" value={filter} onChange={(e) => setFilter(e.target.value)} />}
        <div className="multiselect-list" role="group" aria-label={label}>
          {shown.map((o) => (
            <label key={String(o.value)} className="check">
              <input type="checkbox" checked={chosen.has(o.value)} onChange={() => toggle(o.value)} />
              <span>{o.label}</span>
            </label>
          ))}
          {!shown.length && <div className="muted small">Nothing to choose from yet.</div>}
        </div>
      </div>
    </FieldShell>
  );
}
