export { startWorkerSupervisor, type WorkerSupervisor } from './worker-supervisor';
export { RingSupervisor, type SupervisedRing, type RingStatus, type RingWorkerStatus } from './ring-supervisor';
export { readSupervisorEnvironment, limitsOf, type SupervisorConfig, type RingLimits } from './supervisor-config';
export { decideWorkers, restartDelayMs, type ScalingDecision, type ScalingState } from './scaling-decision';
