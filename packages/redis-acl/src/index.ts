export { assertGlobSafe, dedicatedWorkerUserName, devRedisPassword, redisAdminUser, redisPasswordVariable, redisServices, redisUserName, type RedisService } from './redis-users';
export { dedicatedWorkerAcl, serviceAcl, type RedisAcl } from './service-acl';
export { aclFileLine, aclRules, setUserArguments } from './acl-rules';
export { aclFileTemplate, defaultUserLine, passwordPlaceholder } from './acl-file';
export { redisConfigAs, redisUrlAs, redisUrlUser } from './redis-url';
export { applyAcls, deleteUsers } from './apply-acl';
export { localAdminRedisUrl, localRedisCaFile, redisAccountFromEnvironment, type RedisAccount } from './local-redis';
