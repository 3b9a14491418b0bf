/** The demo tenants and users `npm start` creates; each user is a client of the dev issuer. */
export const demoTenants = [
  { id: 'acme', displayName: 'Acme Corporation', region: 'us-east-1', tier: 'shared' },
  { id: 'globex', displayName: 'Globex Corporation', region: 'eu-west-1', tier: 'dedicated' },
] as const;

export interface DemoUser {
  clientId: string;
  tenant?: string;
  role: 'admin' | 'data_scientist' | 'viewer' | 'auditor' | 'platform_admin';
}

export const demoUsers: readonly DemoUser[] = [
  { clientId: 'acme-admin', tenant: 'acme', role: 'admin' },
  { clientId: 'acme-data-scientist', tenant: 'acme', role: 'data_scientist' },
  { clientId: 'acme-viewer', tenant: 'acme', role: 'viewer' },
  { clientId: 'acme-auditor', tenant: 'acme', role: 'auditor' },
  { clientId: 'globex-admin', tenant: 'globex', role: 'admin' },
  { clientId: 'platform-admin', role: 'platform_admin' },
];
