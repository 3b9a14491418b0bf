import { ControlPlane1764000000001 } from './0001-control-plane';
import { JobLimits1764000000002 } from './0002-job-limits';
import { SecurityLog1764000000003 } from './0003-security-log';
import { ResourceOwners1764000000004 } from './0004-resource-owners';
import { LimitOverrides1764000000005 } from './0005-limit-overrides';

export const controlPlaneMigrations = [ControlPlane1764000000001, JobLimits1764000000002, SecurityLog1764000000003, ResourceOwners1764000000004, LimitOverrides1764000000005];
