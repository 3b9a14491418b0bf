import { useEffect } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { usePermission } from '../../auth/AuthContext';
import { Link } from '../../router';
import { TimeChart } from '../../ui/charts';
import { ErrorMessage, Loading, ProgressBar, formatTime } from '../../ui/components';
import { CancelJobMutation, JobProgressSubscription, JobQuery, RetryJobMutation } from './operations';

const finished = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function JobPage({ id }: { id: string }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobQuery, variables: { id } });
  const live = !!data && !finished.has(data.job.status);
  // Live progress over graphql-ws; each event also reloads the job for its loss history.
  const [{ data: event, error: liveError }] = useSubscription({ query: JobProgressSubscription, variables: { jobId: id }, pause: !live });
  useEffect(() => {
    if (event) refetch({ requestPolicy: 'network-only' });
  }, [event, refetch]);
  const canWrite = usePermission('write');
  const [cancelled, cancel] = useMutation(CancelJobMutation);
  const [retried, retry] = useMutation(RetryJobMutation);
  if (error) return <section><h1>Job</h1><ErrorMessage error={error} /></section>;
  if (fetching && !data) return <Loading what="the job" />;
  if (!data) return null;
  const job = data.job;
  // The job as last read wins: every event triggers a re-read, and an event can be older than that
  // read (an attempt's last progress event arriving after a cancel or a retry), so it only fills in
  // progress between reads of the same attempt.
  const status = job.status;
  const sameAttempt = event !== undefined && event.jobProgress.status === job.status;
  const progress = sameAttempt ? Math.max(event.jobProgress.progress, job.progress) : job.progress;
  const phase = sameAttempt && !job.cancelRequested ? (event.jobProgress.phase ?? job.phase) : job.phase;
  const loss = job.lossHistory.map((value, index) => ({ epoch: index + 1, loss: value }));
  return (
    <section aria-labelledby="job-title">
      <h1 id="job-title">{job.kind.replace('_', ' ').toLowerCase()} job <code>{job.id.slice(0, 8)}</code></h1>
      <p>
        Status <strong data-testid="job-status">{status}</strong>{phase ? ` · ${phase}` : ''} · attempt {job.attempts}
        {live ? <span className="badge ok" aria-live="polite"> live</span> : null}
      </p>
      <ProgressBar value={progress / 100} label="Job progress" />
      <ErrorMessage error={liveError} />
      {job.error ? <div className="error" role="alert"><strong>{job.error.code}</strong> {job.error.message}</div> : null}
      {canWrite ? (
        <div className="toolbar">
          {!finished.has(status) ? <button type="button" className="danger" disabled={job.cancelRequested} onClick={() => void cancel({ id: job.id }).then(() => refetch({ requestPolicy: 'network-only' }))}>Cancel job</button> : null}
          {status === 'FAILED' || status === 'CANCELLED' ? <button type="button" onClick={() => void retry({ id: job.id }).then(() => refetch({ requestPolicy: 'network-only' }))}>Retry job</button> : null}
        </div>
      ) : null}
      <ErrorMessage error={cancelled.error ?? retried.error} />
      {job.kind === 'TRAIN' ? <TimeChart title="Training loss per epoch" data={loss} xKey="epoch" series={[{ key: 'loss', label: 'loss', color: '#1d4ed8' }]} /> : null}
      <dl>
        <dt>Created</dt><dd>{formatTime(job.createdAt)} by {job.createdBy}</dd>
        <dt>Started</dt><dd>{formatTime(job.startedAt)}</dd>
        <dt>Finished</dt><dd>{formatTime(job.finishedAt)}</dd>
        <dt>Input dataset version</dt><dd><code>{job.input.datasetVersionId}</code></dd>
        {job.result?.modelId ? <><dt>Model</dt><dd><Link to={`/models/${job.result.modelId}`}>version {job.result.modelVersionNumber} of the trained model</Link> (final loss {job.result.finalLoss?.toFixed(4)}, {job.result.trainingRows} rows)</dd></> : null}
        {job.result?.datasetId ? <><dt>Output dataset</dt><dd><Link to={`/datasets/${job.result.datasetId}`}>predictions</Link> ({job.result.predictedRows} rows)</dd></> : null}
      </dl>
    </section>
  );
}
