export { parseEnvironment, ConfigError } from './parse-environment';
export * from './variables';
export * from './shared-config';
export { createLogger, type Logger, type LogLevel, type LogFields } from './logger';
export { isTlsRedisUrl, readRedisTlsCa, redisConnectionOptions, type RedisConnectionOptions } from './redis-connection';
export { resubscribeAfterReconnect, subscriberConnectionOptions, type SubscribingClient } from './redis-subscription';
export { readCaFile } from './ca-file';
export { regionName, regionVariables, regionDatabasesVariable, regionObjectStoreVariables, toRegionsConfig, toRegionObjectStores, toRegionServers, databaseServerOf, normalizeDatabaseServer, type RegionsConfig, type RegionObjectStoreConfig, type RegionObjectStoreEntry } from './regions';
export { nodeEntryArgs, conditionFlags } from './node-entry';
