export { createPortClient, createGrantPortClient, type PortClientOptions } from './port-client';
export { portRouter, type PortRefusalRecorder, type PortTenantRefusal } from './port-endpoint';
export { callerServiceOf, type PortCaller } from './caller-service';
export { dedicatedWorkerIdentity, dedicatedWorkerTenantOf, serviceOfIdentity } from './dedicated-worker-identity';
export { toWireActor, type PortMethods, type PublishedPort, type ServiceName, type WireActor, type PortCallBody, type GrantPortMethods, type PublishedGrantPort, type AnyPublishedPort, type GrantPortCallBody } from './port-definition';
export { portVariables, type PortVariables } from './port-environment';
export { parsePortTimeRange } from './port-input';
export { mutualTlsPortFetch, type PortFetch, type PortRequest, type PortResponse } from './port-fetch';
export { grantEntry } from './grant-entry';
