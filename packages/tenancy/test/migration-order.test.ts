import { migrationOrder, noMigrations, type ServiceMigrations, type ServiceName } from '@tessera/tenancy';

const service = (name: ServiceName, after?: ServiceName[]) => ({ service: name, migrations: { ...noMigrations, ...(after ? { after } : {}) } satisfies ServiceMigrations });
const names = (services: Array<{ service: ServiceName }>) => services.map((s) => s.service);

describe('migrationOrder', () => {
  it('keeps the given order when nobody names another', () => {
    expect(names(migrationOrder([service('datasets'), service('models'), service('audit')]))).toEqual(['datasets', 'models', 'audit']);
  });

  it('moves a service its migrations reference ahead of them, otherwise keeping the order', () => {
    const order = migrationOrder([service('datasets'), service('audit', ['tenants']), service('metrics'), service('tenants')]);
    expect(names(order)).toEqual(['datasets', 'tenants', 'audit', 'metrics']);
  });

  it('refuses a cycle and a service that is not in the deployment', () => {
    expect(() => migrationOrder([service('audit', ['tenants']), service('tenants', ['audit'])])).toThrow(/cycle: audit → tenants → audit/);
    expect(() => migrationOrder([service('audit', ['tenants'])])).toThrow(/audit migrates after tenants, which is not a service of this deployment/);
  });
});
