import type { ReactNode } from 'react';
import type { Principal, Role } from './auth/session';
import { DatasetPage } from './pages/datasets/DatasetPage';
import { DatasetsPage } from './pages/datasets/DatasetsPage';

export interface Route {
  path: string;
  /** The pattern of the detail page under it, e.g. /datasets/:id. */
  detail?: string;
  label: string;
  visible(context: { principal: Principal }): boolean;
  render(params: Record<string, string>): ReactNode;
}

const tenantRoles = (...roles: Role[]) => ({ principal }: { principal: Principal }) => !!principal.tenant && principal.roles.some((role) => roles.includes(role));

/** Each area, and who sees it: the same roles the API's shield rules admit (packages/auth). */
export const routes: Route[] = [
  { path: '/datasets', detail: '/datasets/:id', label: 'Datasets', visible: tenantRoles('admin', 'data_scientist', 'viewer', 'auditor'), render: (params) => (params['id'] ? <DatasetPage id={params['id']} /> : <DatasetsPage />) },
];
