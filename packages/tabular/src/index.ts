export { CsvProfiler, createCsvProfiler, profileCsv, type ColumnProfile, type CsvProfile, type CsvProfilerOptions } from './csv-profiler';
export { parseCsvRows, type ParseCsvRowsOptions } from './csv-rows';
export { inferValueType, mergeColumnTypes, type ColumnType } from './infer';
export { columnNameKey, defaultCsvLimits, resolveCsvLimits, MAX_COLUMN_NAME_LENGTH, type CsvLimits } from './limits';
export { CsvParsePool, CsvParseThread, PooledCsvProfiler, defaultCsvParseWorkerHeapMb, type CsvParsePoolOptions } from './csv-parse-pool';
export { CsvPrefixCheck, prefixCheckMaxBytes, prefixCheckUsualBytes } from './csv-prefix-check';
