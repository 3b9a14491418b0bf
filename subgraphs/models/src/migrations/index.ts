import type { ServiceMigrations } from '@tessera/tenancy';
import { ModelsTables1765000000001 } from './tenant/0001-models-tables';
import { ModelKeys1765000000002 } from './tenant/0002-model-keys';
import { ModelKeyVersions1765100000003 } from './tenant/0003-model-key-versions';
import { PredictionLogMarks1765200000004 } from './tenant/0004-prediction-log-marks';

/** The models service's migrations: its tenant tables only (it has none in the control plane). */
export const modelsMigrations: ServiceMigrations = {
  tenant: [ModelsTables1765000000001, ModelKeys1765000000002, ModelKeyVersions1765100000003, PredictionLogMarks1765200000004],
  control: [],
};
