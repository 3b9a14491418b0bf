import type { ReactNode } from 'react';
import type { Principal, Role } from './auth/session';
import { AuditPage } from './pages/audit/AuditPage';
import { DatasetPage } from './pages/datasets/DatasetPage';
import { DatasetsPage } from './pages/datasets/DatasetsPage';
import { JobPage } from './pages/jobs/JobPage';
import { JobsPage } from './pages/jobs/JobsPage';
import { MetricsPage } from './pages/metrics/MetricsPage';
import { ModelPage } from './pages/models/ModelPage';
import { ModelsPage } from './pages/models/ModelsPage';
import { TenantsPage } from './pages/tenants/TenantsPage';

export interface Route {
  path: string;
  /** The patterns of the detail pages under it, most specific first, e.g. /datasets/:id. */
  details?: string[];
  label: string;
  visible(context: { principal: Principal }): boolean;
  render(params: Record<string, string>): ReactNode;
}

const tenantRoles = (...roles: Role[]) => ({ principal }: { principal: Principal }) => !!principal.tenant && principal.roles.some((role) => roles.includes(role));
const platformAdmin = ({ principal }: { principal: Principal }) => principal.roles.includes('platform_admin');

/** Each area, and who sees it: the roles the API's shield rules admit (packages/auth). */
export const routes: Route[] = [
  { path: '/datasets', details: ['/datasets/:id/versions/:versionId', '/datasets/:id'], label: 'Datasets', visible: tenantRoles('admin', 'data_scientist', 'viewer', 'auditor'), render: (params) => (params['id'] ? <DatasetPage id={params['id']} versionId={params['versionId']} /> : <DatasetsPage />) },
  { path: '/models', details: ['/models/:id/versions/:versionId', '/models/:id'], label: 'Models', visible: tenantRoles('admin', 'data_scientist', 'viewer', 'auditor'), render: (params) => (params['id'] ? <ModelPage id={params['id']} versionId={params['versionId']} /> : <ModelsPage />) },
  // Jobs and metrics hold data (profiles, results): not for auditors.
  { path: '/jobs', details: ['/jobs/:id'], label: 'Jobs', visible: tenantRoles('admin', 'data_scientist', 'viewer'), render: (params) => (params['id'] ? <JobPage id={params['id']} /> : <JobsPage />) },
  { path: '/metrics', label: 'Metrics', visible: tenantRoles('admin', 'data_scientist', 'viewer'), render: () => <MetricsPage /> },
  { path: '/audit', label: 'Audit', visible: tenantRoles('admin', 'auditor'), render: () => <AuditPage /> },
  { path: '/tenants', label: 'Tenants', visible: platformAdmin, render: () => <TenantsPage /> },
];
