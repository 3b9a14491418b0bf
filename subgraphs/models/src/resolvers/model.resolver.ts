import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { Model } from '../data/model.entity';
import { ModelService } from '../domain/model.service';

const models = async (ctx: SubgraphContext) => new ModelService(await ctx.scope());

export const modelResolvers: GraphQLResolverMap<SubgraphContext> = {
  Query: {
    models: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => (await models(ctx)).list(args),
    model: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await models(ctx)).get(args.id),
  },
  Model: {
    __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await models(ctx)).get(ref.id),
    createdAt: (model: Model) => model.createdAt.toISOString(),
  },
};
