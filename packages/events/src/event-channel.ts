import { isTenantId } from '@tessera/tenancy';

export const eventTopics = ['jobs', 'alerts'] as const;
export type EventTopic = (typeof eventTopics)[number];

/**
 * `${keyPrefix}:tenant:${tenantId}:${topic}`. The tenant id is checked against the tenant-id
 * pattern (no `:`, no glob characters) and the topic against a fixed list, so no two
 * (tenant, topic) pairs can ever name the same channel.
 */
export function tenantChannel(keyPrefix: string, tenantId: string, topic: EventTopic): string {
  if (!isTenantId(tenantId)) throw new Error(`refusing an event channel for the malformed tenant id ${JSON.stringify(tenantId)}`);
  if (!(eventTopics as readonly string[]).includes(topic)) throw new Error(`unknown event topic ${JSON.stringify(topic)}`);
  return `${keyPrefix}:tenant:${tenantId}:${topic}`;
}
