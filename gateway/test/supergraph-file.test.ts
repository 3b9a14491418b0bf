import { readFileSync } from 'node:fs';
import { ConfigError } from '@tessera/config';
import { loadSupergraph } from '../src/supergraph';
import { composeSupergraph, subgraphNames, supergraphFile } from './compose-supergraph';

const endpoints = subgraphNames.map((name) => ({ name, url: `https://127.0.0.1:${4100 + subgraphNames.indexOf(name)}/graphql` }));

describe('the supergraph the gateway serves', () => {
  it('gateway/src/supergraph.graphql is what the subgraphs compose to today (npm run compose -w gateway)', () => {
    if (readFileSync(supergraphFile, 'utf8') !== composeSupergraph()) throw new Error(`${supergraphFile} is stale: run npm run compose -w gateway and commit the result`);
  });

  it('serves each subgraph at its configured address, none at a placeholder', () => {
    const sdl = loadSupergraph(endpoints);
    for (const { name, url } of endpoints) expect(sdl).toContain(`@join__graph(name: "${name}", url: "${url}")`);
    expect(sdl).not.toContain('subgraph.invalid');
  });

  it('refuses to start when the configured subgraphs are not the supergraph\'s, naming both lists', () => {
    const missing = () => loadSupergraph(endpoints.filter((endpoint) => endpoint.name !== 'jobs'));
    expect(missing).toThrow(ConfigError);
    expect(missing).toThrow(/\(audit, datasets, metrics, models, tenants\) are not the supergraph's \(audit, datasets, jobs, metrics, models, tenants\)/);
    expect(() => loadSupergraph([...endpoints, { name: 'billing', url: 'https://127.0.0.1:1/graphql' }])).toThrow(/billing.*are not the supergraph's/);
  });
});
