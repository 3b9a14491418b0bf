import { TenantPlane1764000000001 } from './0001-tenant-plane';
import { ModelRegistry1764000000002 } from './0002-model-registry';
import { JobPipelines1764000000003 } from './0003-job-pipelines';
import { AuditChain1764000000004 } from './0004-audit-chain';
import { AuditAlerting1764000000005 } from './0005-audit-alerting';
import { TenantMetrics1764000000006 } from './0006-tenant-metrics';
import { AuditPageIndexes1764000000007 } from './0007-audit-page-indexes';
import { QuotaUsage1764000000008 } from './0008-quota-usage';
import { UsageMeters1764000000009 } from './0009-usage-meters';
import { WebhookOutcomes1764000000010 } from './0010-webhook-outcomes';
import { JobPrincipals1764000000011 } from './0011-job-principals';

/** Applied, in order, to every tenant schema at provisioning (and on upgrade). */
export const tenantPlaneMigrations = [TenantPlane1764000000001, ModelRegistry1764000000002, JobPipelines1764000000003, AuditChain1764000000004, AuditAlerting1764000000005, TenantMetrics1764000000006, AuditPageIndexes1764000000007, QuotaUsage1764000000008, UsageMeters1764000000009, WebhookOutcomes1764000000010, JobPrincipals1764000000011];
