import { ControlPlane1764000000001 } from './0001-control-plane';

export const controlPlaneMigrations = [ControlPlane1764000000001];
