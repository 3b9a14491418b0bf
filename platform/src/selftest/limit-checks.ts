/**
 * Operation limits as tenant B: a too-deep document and a mutation with too many aliases are
 * refused with QUERY_TOO_COMPLEX before anything runs (the aliased createDataset calls create
 * nothing: re-listed), and a bounded flood of expensive operations ends in RATE_LIMITED.
 */
import { gql, gqlData, type SelftestContext } from './context';
import { errorCodes } from './http-client';
import { listNames } from './fixtures';

interface Limits {
  maxOperationDepth: number;
  maxOperationAliases: number;
  maxOperationRootFields: number;
  maxOperationCost: number;
  costBurst: number;
}

/** The API's largest page (`first`); a larger one is BAD_USER_INPUT, which would prove nothing about the rate limit. */
const maxPageSize = 100;

export async function readLimits(context: SelftestContext): Promise<Limits> {
  const data = await gqlData<{ currentTenant: { limits: Limits } }>(context, context.b, 'query { currentTenant { limits { maxOperationDepth maxOperationAliases maxOperationRootFields maxOperationCost costBurst } } }');
  return data.currentTenant.limits;
}

export async function probeOperationLimits(context: SelftestContext, limits: Limits): Promise<void> {
  // __Type.ofType nests as deep as one likes and every level is valid: only the depth limit can refuse it.
  const depth = limits.maxOperationDepth + 3;
  let nested = 'name';
  for (let level = 0; level < depth; level++) nested = `ofType { ${nested} }`;
  const deep = await gql(context, context.b, `query SelftestDeep { __schema { queryType { fields { type { ${nested} } } } } }`);
  context.log.expect('limits.depth', errorCodes(deep).includes('QUERY_TOO_COMPLEX') && !deep.data, `depth ${depth + 4} against maxOperationDepth ${limits.maxOperationDepth}: HTTP ${deep.status} ${errorCodes(deep).join(', ') || 'no error'}`);

  const prefix = `selftest-${context.runTag}-alias-`;
  const count = limits.maxOperationAliases + 1;
  const aliases = Array.from({ length: count }, (_, i) => `a${i}: createDataset(input: { name: "${prefix}${i}" }) { id }`).join(' ');
  const wide = await gql(context, context.b, `mutation SelftestAliases { ${aliases} }`);
  const created = (await listNames(context, 'datasets', context.b)).filter((entry) => entry.name.startsWith(prefix));
  for (const entry of created) await gql(context, context.b, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: entry.id });
  context.log.expect(
    'limits.aliases',
    errorCodes(wide).includes('QUERY_TOO_COMPLEX') && created.length === 0,
    `${count} aliased createDataset against maxOperationAliases ${limits.maxOperationAliases}: HTTP ${wide.status} ${errorCodes(wide).join(', ') || 'no error'}; datasets created: ${created.length}${created.length ? ' (deleted again)' : ''}`,
  );
}

/**
 * Valid operations each costing about a tenth of the burst (capped by maxOperationCost): aliased
 * datasets pages, sent four at a time until one is RATE_LIMITED. Every answer before that must be
 * a plain answer (any other error means the probe measured refusals of another kind). Bounded: at
 * most twice what the burst holds, and never more than 300 requests, so a deployment with a
 * generous limit is not hammered (the check then fails).
 */
export async function probeFlood(context: SelftestContext, limits: Limits): Promise<void> {
  const per = Math.max(4, Math.min(limits.maxOperationCost * 0.6, limits.costBurst / 10));
  // datasets(first: n) { edges { node { id } } } costs about 3n + 1 (the edge, its node and the id, n times).
  const first = Math.max(1, Math.min(maxPageSize, Math.floor((per - 1) / 3)));
  const pages = Math.max(1, Math.min(Math.floor(per / (3 * first + 1)), limits.maxOperationAliases, limits.maxOperationRootFields));
  const cost = pages * (3 * first + 1);
  const query = `query SelftestFlood($first: Int) { ${Array.from({ length: pages }, (_, i) => `p${i}: datasets(first: $first) { edges { node { id } } }`).join(' ')} }`;
  const budget = Math.min(300, Math.ceil((2 * limits.costBurst) / cost) + 20);
  let sent = 0;
  let limited: { status: number; retryAfter: unknown } | undefined;
  const others = new Map<string, number>();
  while (sent < budget && !limited) {
    const batch = Math.min(4, budget - sent);
    const answers = await Promise.all(Array.from({ length: batch }, () => gql(context, context.b, query, { first })));
    sent += batch;
    for (const answer of answers) {
      const rate = answer.errors?.find((error) => error.extensions?.code === 'RATE_LIMITED');
      if (rate) limited = { status: answer.status, retryAfter: rate.extensions?.['retryAfterSeconds'] };
      for (const code of errorCodes(answer)) if (code !== 'RATE_LIMITED') others.set(code, (others.get(code) ?? 0) + 1);
    }
  }
  const otherCodes = [...others].map(([code, n]) => `${code}×${n}`).join(', ');
  context.log.expect(
    'limits.rate-limit',
    limited !== undefined && others.size === 0,
    limited
      ? `RATE_LIMITED (HTTP ${limited.status}, retryAfterSeconds ${String(limited.retryAfter)}) after ${sent} requests of ~${cost} cost units (${pages} × datasets(first: ${first}); costBurst ${limits.costBurst})${otherCodes ? `; other errors, which should not happen: ${otherCodes}` : ''}`
      : `no RATE_LIMITED within ${sent} requests of ~${cost} cost units (costBurst ${limits.costBurst})${otherCodes ? `; errors: ${otherCodes}` : ''}`,
  );
}
