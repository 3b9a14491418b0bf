import { randomUUID } from 'node:crypto';
import type { Model } from '../data/model.entity';

/** Serving defaults of a new model: batching on, small window (see README, "Dynamic batching"). */
export const defaultServing = { servingBatching: true, servingMaxBatchSize: 32, servingMaxDelayMs: 2, servingTimeoutMs: 10_000 } as const;

export function newModelRow(createdBy: string, name: string, description: string | null): Model {
  const now = new Date();
  return {
    id: randomUUID(),
    name,
    description,
    status: 'ACTIVE',
    lastVersionNumber: 0,
    ...defaultServing,
    createdBy,
    createdAt: now,
    updatedAt: now,
  };
}
