export { startWorker, type RunningWorker } from './start-worker';
export { runWorkerMain } from './main';
export { startWorkerProcess, workerProcessEnvironment, type RunningWorkerProcess, type WorkerProcessOptions } from './worker-process';
export { workerEnvironment, readWorkerEnvironment, type WorkerConfig } from './worker-environment';
export { readQueueEntry, QueueEntryRefused, type QueueEntryRefusal } from './queue-entry';
export { workersData } from './tables';
export { workerPortOwners } from './worker-runtime';
export { startWorkerSupervisor, readSupervisorEnvironment, decideWorkers, restartDelayMs, type WorkerSupervisor, type SupervisedRing, type RingStatus, type SupervisorConfig, type RingLimits } from './supervisor';
export { ColumnAccumulator, DistinctBudget, defaultDistinctBudgetBytes, type ColumnStatistics } from './processors/column-statistics';
