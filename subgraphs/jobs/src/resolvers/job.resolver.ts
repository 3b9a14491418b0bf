import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { Job } from '../data/job.entity';
import { JobService } from '../domain/job.service';

const jobs = async (ctx: SubgraphContext) => new JobService(await ctx.scope());

export const jobResolvers: GraphQLResolverMap<SubgraphContext> = {
  Query: {
    jobs: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => (await jobs(ctx)).list(args),
    job: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await jobs(ctx)).get(args.id),
  },
  Job: {
    __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await jobs(ctx)).get(ref.id),
    createdAt: (job: Job) => job.createdAt.toISOString(),
  },
};
