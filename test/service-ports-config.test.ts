/**
 * How a one-service process gets the ports it calls: from its environment, failing at start-up
 * with the variable's name when one is missing, never at the first job.
 */
import { generateServiceKeyPair } from '@tessera/auth';
import { ConfigError } from '@tessera/config';
import { ensureLocalPki } from '@tessera/local-infra';
import { absentPort, portCallersOf, portOwnerNames, portsCalledBy, portUrlVariable, publishedPort, remotePorts, subgraphEnvironment, subgraphModules } from '@tessera/platform';

const identity = ensureLocalPki().identity('jobs');

describe('service ports from the environment', () => {
  it('names SERVICE_KEY when a caller has none, and the owner URL it lacks', async () => {
    await expect(remotePorts('jobs', {}, portsCalledBy.jobs, identity)).rejects.toThrow(ConfigError);
    await expect(remotePorts('jobs', {}, portsCalledBy.jobs, identity)).rejects.toThrow(/SERVICE_KEY/);
    const { privateJwk } = await generateServiceKeyPair();
    await expect(remotePorts('jobs', { SERVICE_KEY: privateJwk as never, DATASETS_PORT_URL: 'https://datasets:4001' }, portsCalledBy.jobs, identity)).rejects.toThrow(/MODELS_PORT_URL/);
  });

  it('builds exactly the clients a service calls; a service that calls none needs nothing', async () => {
    const { privateJwk } = await generateServiceKeyPair();
    const urls = { JOBS_PORT_URL: 'https://jobs:4003', DATASETS_PORT_URL: 'https://datasets:4001', MODELS_PORT_URL: 'https://models:4002' };
    // The metrics service reads audit counts through the audit port: without its URL it does not start.
    await expect(remotePorts('metrics', { SERVICE_KEY: privateJwk as never, ...urls }, portsCalledBy.metrics, identity)).rejects.toThrow(/AUDIT_PORT_URL/);
    const ports = await remotePorts('metrics', { SERVICE_KEY: privateJwk as never, ...urls, AUDIT_PORT_URL: 'https://audit:4004' }, portsCalledBy.metrics, identity);
    expect(Object.keys(ports).sort()).toEqual(['audit', 'datasets', 'jobs', 'models']);
    expect(typeof ports.jobs?.jobCount).toBe('function');
    expect(typeof ports.audit?.eventCount).toBe('function');
    expect(await remotePorts('models', {}, portsCalledBy.models, identity)).toEqual({});
    // The datasets service calls the jobs port (the clearing of a deleted dataset's profile results): without its key or URL it does not start.
    await expect(remotePorts('datasets', {}, portsCalledBy.datasets, identity)).rejects.toThrow(/SERVICE_KEY/);
    await expect(remotePorts('datasets', { SERVICE_KEY: privateJwk as never }, portsCalledBy.datasets, identity)).rejects.toThrow(/JOBS_PORT_URL/);
    expect(Object.keys(await remotePorts('datasets', { SERVICE_KEY: privateJwk as never, JOBS_PORT_URL: 'https://jobs:4003' }, portsCalledBy.datasets, identity))).toEqual(['jobs']);
    expect(portsCalledBy).toEqual({ datasets: ['jobs'], models: [], jobs: ['datasets', 'models'], audit: [], metrics: ['jobs', 'datasets', 'models', 'audit'], tenants: ['datasets', 'models', 'jobs', 'audit'] });
    // Each owner's listener admits exactly the services that call its ports.
    expect(portCallersOf('audit').sort()).toEqual(['metrics', 'tenants']);
    expect(portCallersOf('jobs').sort()).toEqual(['datasets', 'metrics', 'tenants', 'workers']);
    expect(portCallersOf('models').sort()).toEqual(['jobs', 'metrics', 'tenants', 'workers']);
  });

  it('a build without a port answers SERVICE_UNAVAILABLE at the first call', async () => {
    const actor = { kind: 'user' as const, subject: 's', tenantId: 'acme', roles: [], clientId: undefined, requestId: 'r', sourceIp: undefined };
    await expect(absentPort('audit').eventCount(actor, {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const jobs = absentPort('jobs');
    await expect(jobs.jobCount({ kind: 'user', subject: 's', tenantId: 'acme', roles: [], clientId: undefined, requestId: 'r', sourceIp: undefined }, {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('comes from the modules: each declares the port it publishes and the ports it calls, and its environment holds exactly those URLs', () => {
    expect([...portOwnerNames].sort()).toEqual(['audit', 'datasets', 'jobs', 'models']);
    for (const module of subgraphModules) {
      expect({ module: module.name, calls: portsCalledBy[module.name] }).toEqual({ module: module.name, calls: module.ports.calls });
      const urlVariables = Object.keys(subgraphEnvironment(module.name).shape).filter((name) => name.endsWith('_PORT_URL'));
      expect({ module: module.name, urls: urlVariables.sort() }).toEqual({ module: module.name, urls: module.ports.calls.map((owner) => portUrlVariable(owner as never)).sort() });
    }
    // An absent port has exactly the published methods, so a miswired build fails on any of them.
    for (const owner of portOwnerNames) expect(Object.keys(absentPort(owner)).sort()).toEqual([...publishedPort(owner).methods].sort());
  });
});
