// The limits editor is driven by one list (limit-fields.ts): it must name every limit the API's
// setTenantLimits accepts, with the scalar it takes, and the console must read every limit in force.
import { readFileSync } from 'node:fs';
import { buildSchema, introspectionFromSchema, Kind, type IntrospectionInputObjectType, type IntrospectionObjectType, type IntrospectionTypeRef } from 'graphql';
import { schemaFile } from '../server/codegen';
import { limitChanges, limitOfField, tenantLimitFields, type LimitValues, type LimitDrafts } from '../src/pages/tenants/limit-fields';
import { TenantLimitsFragment } from '../src/pages/tenants/operations';

const introspection = introspectionFromSchema(buildSchema(readFileSync(schemaFile, 'utf8')));

function typeNamed<T>(name: string): T {
  const type = introspection.__schema.types.find((candidate) => candidate.name === name);
  if (!type) throw new Error(`The API schema has no type ${name}`);
  return type as T;
}

/** The named type under any NON_NULL / LIST wrapping. */
function namedType(ref: IntrospectionTypeRef): string {
  return 'ofType' in ref && ref.ofType ? namedType(ref.ofType) : (ref as { name: string }).name;
}

const current = Object.fromEntries(tenantLimitFields.map((field) => [field.name, 10])) as LimitValues;
const drafts = (changed: Partial<LimitDrafts> = {}): LimitDrafts => ({ ...(Object.fromEntries(tenantLimitFields.map((field) => [field.name, '10'])) as LimitDrafts), ...changed });

describe('tenant limits in the console', () => {
  it('the editor lists every field of TenantLimitsInput, once, with its scalar', () => {
    const mutation = typeNamed<IntrospectionObjectType>('Mutation').fields.find((field) => field.name === 'setTenantLimits')!;
    const argument = mutation.args.find((arg) => arg.name === 'limits')!;
    const input = typeNamed<IntrospectionInputObjectType>(namedType(argument.type));
    expect(input.name).toBe('TenantLimitsInput');
    const fromSchema = input.inputFields.map((field) => ({ name: field.name, scalar: namedType(field.type) })).sort((a, b) => a.name.localeCompare(b.name));
    const listed = tenantLimitFields.map((field) => ({ name: field.name, scalar: field.scalar })).sort((a, b) => a.name.localeCompare(b.name));
    expect(listed).toEqual(fromSchema);
    expect(new Set(tenantLimitFields.map((field) => field.label)).size).toBe(tenantLimitFields.length);
    // The access caps are among them (they were once missing from the editor).
    expect(listed.map((field) => field.name)).toEqual(expect.arrayContaining(['maxMembers', 'maxServiceAccounts', 'maxApiKeysPerServiceAccount']));
  });

  it('the tenants query reads every field of TenantLimits', () => {
    const fragment = TenantLimitsFragment.definitions.find((definition) => definition.kind === Kind.FRAGMENT_DEFINITION)!;
    const selected = fragment.selectionSet.selections.map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : '?')).sort();
    const fields = typeNamed<IntrospectionObjectType>('TenantLimits').fields.map((field) => field.name).sort();
    expect(selected).toEqual(fields);
    expect(fields).toEqual(tenantLimitFields.map((field) => field.name).sort());
  });

  it('sends only what changed; an emptied override goes back to the default', () => {
    expect(limitChanges(drafts(), current, [])).toEqual({ changes: {}, problems: {} });
    expect(limitChanges(drafts({ maxMembers: ' 3 ' }), current, [])).toEqual({ changes: { maxMembers: 3 }, problems: {} });
    // Emptied: null for a limit of the tenant's own, nothing for one already at the default.
    expect(limitChanges(drafts({ maxServiceAccounts: '', maxApiKeysPerServiceAccount: '' }), current, ['maxServiceAccounts'])).toEqual({ changes: { maxServiceAccounts: null }, problems: {} });
    // A Float limit carries more than an Int one.
    expect(limitChanges(drafts({ maxStorageBytes: '20000000000' }), current, [])).toEqual({ changes: { maxStorageBytes: 20_000_000_000 }, problems: {} });
  });

  it('finds what no limit can be before sending, by limit', () => {
    for (const bad of ['0', '-1', '1.5', '1e3', 'ten', '9007199254740993']) {
      const result = limitChanges(drafts({ maxMembers: bad, maxModels: '4' }), current, []);
      expect(result.problems).toEqual({ maxMembers: expect.stringContaining('whole number') });
    }
    expect(limitChanges(drafts({ maxApiKeysPerServiceAccount: '2147483648' }), current, []).problems).toEqual({ maxApiKeysPerServiceAccount: 'At most 2,147,483,647.' });
  });

  it('maps the API field of a refusal to its limit', () => {
    expect(limitOfField('limits.maxMembers')).toBe('maxMembers');
    expect(limitOfField('limits.notALimit')).toBeUndefined();
    expect(limitOfField('tier')).toBeUndefined();
    expect(limitOfField(undefined)).toBeUndefined();
  });
});
