import { errors } from '@tessera/errors';
import { meterNames, type MeterName } from './meters';

/** The GraphQL enum `UsageMeter` (metrics and tenants subgraphs): one value per meter. */
const enumOf: Record<MeterName, string> = {
  costUnits: 'COST_UNITS',
  inferenceMs: 'INFERENCE_MS',
  jobWorkerMs: 'JOB_WORKER_MS',
  storedByteHours: 'STORED_BYTE_HOURS',
  downloadBytes: 'DOWNLOAD_BYTES',
};

export function meterEnumValue(meter: MeterName): string {
  return enumOf[meter];
}

/** A UsageMeter argument as a meter name, or BAD_USER_INPUT naming the field. */
export function meterFromEnum(value: unknown, field = 'meter'): MeterName {
  const meter = meterNames.find((name) => enumOf[name] === value);
  if (!meter) throw errors.badInput(`${field} must be one of ${Object.values(enumOf).join(', ')}.`, { field });
  return meter;
}
