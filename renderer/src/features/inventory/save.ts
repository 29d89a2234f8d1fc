import { useCallback, useState } from 'react';
import type { EntityName } from '../../../../shared/contract/inventory.js';
import type { MethodInput, MethodName } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/context.js';
import { useToast } from '../../components/Toasts.js';
import { apiErrorToFields, errorMessage, type Form } from '../../lib/form.js';
import { META } from './meta.js';

/**
 * Save = validate on the client with the contract's schema, then create or update; server
 * INVALID_INPUT issues (and CONFLICT's field) land under the fields. Toasts say what happened.
 */
export function useEntitySave(entity: EntityName) {
  const api = useApi();
  const toast = useToast();
  const [saving, setSaving] = useState(false);
  const save = useCallback(
    async (form: Form<Record<string, unknown>>, id: number | null, label?: string): Promise<Record<string, unknown> | null> => {
      const data = form.validate();
      if (!data) {
        toast.error('Some fields need attention before saving.');
        return null;
      }
      setSaving(true);
      try {
        const rec = id
          ? await api.call(`${entity}.update` as MethodName, { id, ...data } as MethodInput<MethodName>)
          : await api.call(`${entity}.create` as MethodName, data as MethodInput<MethodName>);
        const r = rec as Record<string, unknown>;
        toast.success(`${id ? 'Saved' : 'Created'} ${META[entity].singular} “${label ?? String(r.name ?? r.reference ?? r.id)}”.`);
        return r;
      } catch (e) {
        const fields = apiErrorToFields(e);
        if (fields) form.setErrors(fields);
        toast.error(errorMessage(e));
        return null;
      } finally {
        setSaving(false);
      }
    },
    [api, entity, toast],
  );
  return { save, saving };
}

export function useEntityDelete(entity: EntityName) {
  const api = useApi();
  const toast = useToast();
  return useCallback(
    async (id: number, label: string) => {
      // A refusal (REFERENCED, CONFLICT) is thrown to the confirmation dialog, which shows it.
      await api.call(`${entity}.delete` as MethodName, { id } as MethodInput<MethodName>);
      toast.success(`Deleted ${META[entity].singular} “${label}”.`);
    },
    [api, entity, toast],
  );
}
