import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { Job } from '../data/job.entity';
import { openJobResult } from '../data/job-result-seal';
import type { SubmitBatchInferenceArgs, SubmitProfileArgs, SubmitTrainingArgs } from '../domain/job-input-resolver';
import { readableLossHistory, readableMetrics } from '../domain/job-metrics';
import type { JobsDeps } from '../domain/jobs-deps';
import { JobService, type JobFilter, type JobOrder } from '../domain/job.service';
import { profileUnlessDataDeleted } from '../domain/profile-of-deleted-data';
import { trainingUnlessModelDeleted } from '../domain/weights-of-deleted-model';

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export function jobResolvers(deps: JobsDeps): GraphQLResolverMap<SubgraphContext> {
  const jobs = async (ctx: SubgraphContext) => new JobService(await ctx.scope(), deps);
  return {
    Query: {
      jobs: async (_: unknown, args: PageArgs & { filter?: JobFilter | null; order?: JobOrder | null }, ctx: SubgraphContext) => (await jobs(ctx)).list(args.filter, args),
      job: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await jobs(ctx)).get(args.id),
    },
    Mutation: {
      submitTrainingJob: async (_: unknown, args: { input: SubmitTrainingArgs }, ctx: SubgraphContext) => (await jobs(ctx)).submitTraining(args.input),
      submitBatchInferenceJob: async (_: unknown, args: { input: SubmitBatchInferenceArgs }, ctx: SubgraphContext) => (await jobs(ctx)).submitBatchInference(args.input),
      submitProfileJob: async (_: unknown, args: { input: SubmitProfileArgs }, ctx: SubgraphContext) => (await jobs(ctx)).submitProfile(args.input),
      cancelJob: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await jobs(ctx)).cancel(args.id),
      retryJob: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await jobs(ctx)).retry(args.id),
    },
    Job: {
      __resolveReference: async (ref: { id: string }, ctx: SubgraphContext) => (await jobs(ctx)).get(ref.id),
      // Rows older versions wrote may hold nulls where a NaN was: see readableMetrics / readableLossHistory.
      metrics: (job: Job) => {
        const metrics = readableMetrics(job.metrics);
        return metrics ? Object.entries(metrics).map(([name, value]) => ({ name, value })) : null;
      },
      lossHistory: (job: Job) => readableLossHistory(job.lossHistory),
      // Opened per field: a result that does not open fails this field only (CONFLICT), not the page.
      result: async (job: Job, _: unknown, ctx: SubgraphContext) => {
        const scope = await ctx.scope();
        const result = await profileUnlessDataDeleted(scope, deps.catalog, job, await openJobResult(scope, job.id, job.result));
        return trainingUnlessModelDeleted(scope, deps.catalog.models, job, result);
      },
      createdAt: (job: Job) => job.createdAt.toISOString(),
      updatedAt: (job: Job) => job.updatedAt.toISOString(),
      startedAt: (job: Job) => iso(job.startedAt),
      finishedAt: (job: Job) => iso(job.finishedAt),
    },
    // Results written before top values were cut hold no flag: their values are whole.
    ValueCount: {
      truncated: (entry: { truncated?: boolean }) => entry.truncated === true,
    },
    HyperParameters: {
      activation: (hp: { activation: string }) => hp.activation.toUpperCase(),
    },
  };
}
