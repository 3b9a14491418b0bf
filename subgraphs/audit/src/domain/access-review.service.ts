import { createHash } from 'node:crypto';
import { assertPermission } from '@tessera/auth';
import { notFoundAcrossTenants, recordAuditEvent } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { decodeCursor, encodeCursor, pageSize, parseUuid, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { findingsOf, findReview, listReviews, type AccessReviewRecord, type StaleFindingRecord } from '../data/access-review.repository';
import { accessReviewTargetType, type AccessReviewWriter } from './access-review-writer';
import { lastEndedPeriod, parsePeriodLabel, type ReviewInterval } from './review-period';

/**
 * A tenant's access reviews through the API: list, read (metadata, findings, the document itself)
 * and run one now. Its admins and auditors read them; only admins run one (a write into the
 * bucket and the alert tables). A review of another tenant is NOT_FOUND, like an id that never
 * existed, and the attempt is recorded.
 */
export class AccessReviewService {
  constructor(
    private readonly scope: TenantScope,
    private readonly writer: AccessReviewWriter,
    /** `interval`: the tenant's interval in force (its own, or the deployment's), for the default period. */
    private readonly options: { interval: () => Promise<ReviewInterval>; clock: () => Date },
  ) {}

  async list(args: PageArgs): Promise<Connection<AccessReviewRecord>> {
    assertPermission(this.scope.principal, 'audit');
    const limit = pageSize(args);
    const after = decodeCursor(args.after);
    const rows = await this.scope.db((manager) => listReviews(manager, after ? { periodStart: after.createdAt, id: after.id } : undefined, limit + 1));
    const page = rows.slice(0, limit);
    const edges = page.map((node) => ({ node, cursor: encodeCursor({ createdAt: node.periodStart, id: node.id }) }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async get(id: string): Promise<AccessReviewRecord> {
    assertPermission(this.scope.principal, 'audit');
    const reviewId = parseUuid(id, 'id');
    const review = await this.scope.db((manager) => findReview(manager, reviewId));
    if (!review) throw await notFoundAcrossTenants(this.scope, accessReviewTargetType, reviewId);
    return review;
  }

  /**
   * Writes the review of `period` (default: the last ended period) now. A period already reviewed
   * is not written again: its review is returned, and the run is audited as such.
   */
  async run(period: string | null | undefined): Promise<AccessReviewRecord> {
    assertPermission(this.scope.principal, 'administer');
    const now = this.options.clock();
    const target = period === null || period === undefined ? lastEndedPeriod(now, await this.options.interval()) : parsePeriodLabel(period, now);
    const { review, written } = await this.writer.write(this.scope, target, 'MANUAL');
    if (!written) {
      await this.scope.transaction((manager) =>
        recordAuditEvent(manager, this.scope.principal, { action: 'access_review.run', targetType: accessReviewTargetType, targetId: review.id, details: { period: review.period, written: false } }),
      );
    }
    return review;
  }

  async findings(review: AccessReviewRecord): Promise<StaleFindingRecord[]> {
    assertPermission(this.scope.principal, 'audit');
    return this.scope.db((manager) => findingsOf(manager, review.id));
  }

  /**
   * The document as written, decrypted from the tenant's bucket and checked against the digest
   * recorded with it: a changed or replaced object is reported, never served. Reading it is audited.
   */
  async content(review: AccessReviewRecord): Promise<string> {
    assertPermission(this.scope.principal, 'audit');
    const body = await this.scope.bucket.getDecryptedBuffer(review.objectKey, this.scope.resolveDataKey);
    if (createHash('sha256').update(body).digest('hex') !== review.sha256) {
      throw errors.conflict(`The stored access review ${review.period} does not match the SHA-256 recorded when it was written.`, { reason: 'DIGEST_MISMATCH' });
    }
    await this.scope.transaction((manager) =>
      recordAuditEvent(manager, this.scope.principal, { action: 'access_review.read', targetType: accessReviewTargetType, targetId: review.id, details: { period: review.period, bytes: body.length } }),
    );
    return body.toString('utf8');
  }
}
