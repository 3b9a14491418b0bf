export { startS3Server, type S3ServerOptions, type RunningS3Server } from './s3-server';
export { startIssuerProcess, type IssuerProcessOptions, type RunningIssuerProcess } from './issuer-process';
export { defaultPkiDirectory, ensureLocalPki, localServiceIdentities, localStoreIdentities, type LocalPki } from './local-pki';
export { trustCaInThisProcess } from './local-trust';
export { startCephGateway, cephGatewayAvailable, type CephGatewayOptions, type RunningCephGateway, type StoreKey } from './ceph-gateway';
export { freePort } from './free-port';
