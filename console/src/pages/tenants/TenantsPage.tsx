import { Fragment, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConfirmDialog, ErrorMessage, Field, Loading, formatBytes, formatTime } from '../../ui/components';
import { LimitsEditor } from './LimitsEditor';
import { ProvisionTenantMutation, ResumeTenantMutation, SuspendTenantMutation, TenantsQuery } from './operations';
import type { TenantTier } from '../../generated/graphql';

/** Platform administration: tenants only, never a tenant's data. */
export function TenantsPage() {
  const [{ data, fetching, error }, reload] = useQuery({ query: TenantsQuery });
  const [suspended, suspend] = useMutation(SuspendTenantMutation);
  const [resumed, resume] = useMutation(ResumeTenantMutation);
  const [confirm, setConfirm] = useState<string>();
  const [editing, setEditing] = useState<string>();
  const refresh = () => reload({ requestPolicy: 'network-only' });
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <Provision onDone={refresh} />
      <ErrorMessage error={error ?? suspended.error ?? resumed.error} />
      {fetching && !data ? <Loading what="tenants" /> : null}
      <table aria-label="Tenants">
        <thead><tr><th scope="col">Tenant</th><th scope="col">Region</th><th scope="col">Tier</th><th scope="col">Status</th><th scope="col">Limits</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {(data?.tenants ?? []).map((tenant) => (
            <Fragment key={tenant.id}>
              <tr>
                <td><strong>{tenant.id}</strong> <div className="muted">{tenant.displayName}, since {formatTime(tenant.createdAt)}</div></td>
                <td>{tenant.region}</td><td>{tenant.tier}</td>
                <td><span className={`badge ${tenant.status === 'ACTIVE' ? 'ok' : 'bad'}`}>{tenant.status}</span></td>
                <td>{tenant.limits.maxDatasets} datasets, {tenant.limits.maxModels} models, {formatBytes(tenant.limits.maxStorageBytes)}, {tenant.limits.maxConcurrentJobs} concurrent jobs, {tenant.limits.maxMembers} members{tenant.overriddenLimits.length ? <div className="muted">overridden: {tenant.overriddenLimits.join(', ')}</div> : null}</td>
                <td>
                  {tenant.status === 'SUSPENDED'
                    ? <button type="button" onClick={async () => { await resume({ id: tenant.id }); refresh(); }}>Resume {tenant.id}</button>
                    : <button type="button" className="danger" onClick={() => setConfirm(tenant.id)}>Suspend {tenant.id}</button>}
                  <button type="button" onClick={() => setEditing(editing === tenant.id ? undefined : tenant.id)} aria-expanded={editing === tenant.id}>Limits of {tenant.id}</button>
                </td>
              </tr>
              {/* Every limit is editable, so the editor takes a row of its own below the tenant's. */}
              {editing === tenant.id ? <tr><td colSpan={6}><LimitsEditor tenant={tenant} onDone={refresh} /></td></tr> : null}
            </Fragment>
          ))}
        </tbody>
      </table>
      <ConfirmDialog open={!!confirm} title={`Suspend ${confirm ?? ''}?`} confirmLabel="Suspend" onCancel={() => setConfirm(undefined)} onConfirm={async () => { const id = confirm!; setConfirm(undefined); await suspend({ id }); refresh(); }}>
        Every request of this tenant is refused until it is resumed. Its data stays as it is.
      </ConfirmDialog>
    </section>
  );
}

function Provision({ onDone }: { onDone(): void }) {
  const [fields, setFields] = useState({ id: '', displayName: '', region: 'us-east-1', tier: 'SHARED' as TenantTier, adminSubject: '' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [{ error, data }, provision] = useMutation(ProvisionTenantMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    // The platform's own rule (packages/tenancy tenant-id.ts): hyphens allowed, never two in a row or last.
    if (!/^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){2,31}$/.test(fields.id)) found['id'] = '3–32 lowercase letters, digits and single hyphens, starting with a letter.';
    if (!fields.displayName.trim()) found['displayName'] = 'A display name is required.';
    if (!fields.region.trim()) found['region'] = 'A region is required.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    // With roles from Tessera's members the API requires a first admin; with roles from token claims it is optional.
    const initialAdmin = fields.adminSubject.trim() ? { initialAdmin: { subject: fields.adminSubject.trim() } } : {};
    const result = await provision({ input: { id: fields.id, displayName: fields.displayName.trim(), region: fields.region.trim(), tier: fields.tier, ...initialAdmin } });
    if (!result.error) onDone();
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="Provision a tenant">
      <Field id="tenant-id" label="Tenant id" error={problems['id']}><input id="tenant-id" value={fields.id} onChange={(event) => setFields({ ...fields, id: event.target.value })} /></Field>
      <Field id="tenant-name" label="Display name" error={problems['displayName']}><input id="tenant-name" value={fields.displayName} onChange={(event) => setFields({ ...fields, displayName: event.target.value })} /></Field>
      <Field id="tenant-region" label="Region" error={problems['region']}><input id="tenant-region" value={fields.region} onChange={(event) => setFields({ ...fields, region: event.target.value })} /></Field>
      <Field id="tenant-tier" label="Tier">
        <select id="tenant-tier" value={fields.tier} onChange={(event) => setFields({ ...fields, tier: event.target.value as TenantTier })}><option value="SHARED">Shared</option><option value="DEDICATED">Dedicated</option></select>
      </Field>
      <Field id="tenant-admin" label="First admin's subject (optional)"><input id="tenant-admin" value={fields.adminSubject} onChange={(event) => setFields({ ...fields, adminSubject: event.target.value })} /></Field>
      <button type="submit">Provision tenant</button>
      {data ? <p role="status">Tenant {data.provisionTenant.tenant.id} {data.provisionTenant.created ? 'provisioned' : 'already existed'}.</p> : null}
      <ErrorMessage error={error} />
    </form>
  );
}
