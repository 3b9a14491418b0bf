import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { describeError, fieldOf } from '../../api/errors';
import { ErrorMessage, Field, formatBytes } from '../../ui/components';
import { draftsOf, limitChanges, limitGroups, limitOfField, tenantLimitFields, type LimitField, type LimitValues, type TenantLimitName } from './limit-fields';
import { SetLimitsMutation, TenantAccessUsageQuery } from './operations';

export interface EditedTenant {
  id: string;
  limits: LimitValues;
  overriddenLimits: readonly string[];
}

type AccessUsage = Record<NonNullable<LimitField['usage']>, number>;

/**
 * Every limit `setTenantLimits` accepts (the list in limit-fields.ts), grouped, each with whether it
 * is the tenant's own or the platform default, and for the access caps what the tenant holds now.
 * Only the limits changed are sent; an emptied field returns that limit to the platform default.
 */
export function LimitsEditor({ tenant, onDone }: { tenant: EditedTenant; onDone(): void }) {
  const { id } = tenant;
  const [drafts, setDrafts] = useState(() => draftsOf(tenant.limits));
  const [problems, setProblems] = useState<Partial<Record<TenantLimitName, string>>>({});
  const [saved, setSaved] = useState<string>();
  const [{ error }, setLimits] = useMutation(SetLimitsMutation);
  const [usage] = useQuery({ query: TenantAccessUsageQuery, variables: { tenantId: id }, requestPolicy: 'network-only' });

  // Once the table reads the tenant again (after a save), the fields show the limits now in force.
  const inForce = JSON.stringify([tenant.limits, tenant.overriddenLimits]);
  useEffect(() => setDrafts(draftsOf(tenant.limits)), [inForce]);

  const used: AccessUsage | undefined = usage.data
    ? {
        members: usage.data.members.length,
        serviceAccounts: usage.data.serviceAccounts.length,
        // The cap is per account: the fullest account is the one that meets it first.
        apiKeysPerServiceAccount: Math.max(0, ...usage.data.serviceAccounts.map((account) => account.apiKeys.filter((key) => key.status !== 'REVOKED').length)),
      }
    : undefined;

  // A refusal that names one of the limits is shown beside it; any other below the form.
  const refusedLimit = limitOfField(fieldOf(error));
  const refusal = error && refusedLimit ? describeError(error) : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(undefined);
    const { changes, problems: found } = limitChanges(drafts, tenant.limits, tenant.overriddenLimits);
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const names = Object.keys(changes);
    if (names.length === 0) return setSaved('Nothing changed.');
    const result = await setLimits({ id, limits: changes });
    if (result.error) return;
    setSaved(`Saved ${names.join(', ')}.`);
    onDone();
  };

  const fieldOfLimit = (field: LimitField) => {
    const inputId = `${id}-limit-${field.name}`;
    const problem = problems[field.name] ?? (refusal && refusedLimit === field.name ? `${refusal.message} ${refusal.detail ?? ''} (${refusal.code})` : undefined);
    const overridden = tenant.overriddenLimits.includes(field.name);
    const current = tenant.limits[field.name];
    const inUse = field.usage ? used?.[field.usage] : undefined;
    return (
      <Field key={field.name} id={inputId} label={field.label} error={problem}>
        <input
          id={inputId}
          name={field.name}
          inputMode="numeric"
          size={field.unit === 'bytes' ? 14 : 8}
          placeholder="default"
          value={drafts[field.name]}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${inputId}-note${problem ? ` ${inputId}-error` : ''}`}
          onChange={(event) => setDrafts({ ...drafts, [field.name]: event.target.value })}
        />
        <span className="muted" id={`${inputId}-note`} data-testid={`${field.name}-note`}>
          {overridden ? 'this tenant’s own' : 'platform default'}
          {field.unit === 'bytes' ? `, ${formatBytes(current)}` : ''}
          {inUse !== undefined ? `; in use: ${inUse}${field.usage === 'apiKeysPerServiceAccount' ? ' (fullest account)' : ''}${inUse > current ? ', over the limit' : ''}` : ''}
        </span>
      </Field>
    );
  };

  return (
    <form className="limits-editor" onSubmit={submit} noValidate aria-label={`Limits of ${id}`}>
      <p className="muted">Only the limits you change are saved. Empty a field to return that limit to the platform default.</p>
      {limitGroups.map((group) => (
        <fieldset key={group}>
          <legend>{group}</legend>
          {tenantLimitFields.filter((field) => field.group === group).map(fieldOfLimit)}
        </fieldset>
      ))}
      {usage.error ? <p className="muted">What the tenant holds could not be read: {describeError(usage.error).message}</p> : null}
      <div className="actions">
        <button type="submit">Save limits</button>
        {saved ? <span role="status">{saved}</span> : null}
      </div>
      <ErrorMessage error={refusal ? undefined : error} />
    </form>
  );
}
