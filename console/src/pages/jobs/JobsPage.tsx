import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { usePermission } from '../../auth/AuthContext';
import { Link, useRouter } from '../../router';
import { ErrorMessage, Field, Loading, Pager, formatTime, useCursorStack } from '../../ui/components';
import { JobsQuery, SubmitBatchInferenceMutation, SubmitProfileJobMutation, SubmitTrainingMutation } from './operations';
import type { JobStatus, ModelType } from '../../generated/graphql';

const statuses: JobStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function JobsPage() {
  const pages = useCursorStack();
  const [status, setStatus] = useState<JobStatus | ''>('');
  const [{ data, fetching, error }] = useQuery({ query: JobsQuery, variables: { first: 20, after: pages.after ?? null, filter: status ? { status: [status] } : null } });
  const canWrite = usePermission('write');
  const [form, setForm] = useState<'train' | 'profile' | 'batch'>('train');
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      {canWrite ? (
        <>
          <div role="tablist" aria-label="Submit a job" className="toolbar">
            {(['train', 'profile', 'batch'] as const).map((kind) => (
              <button key={kind} type="button" role="tab" aria-selected={form === kind} onClick={() => setForm(kind)}>{{ train: 'Training', profile: 'Profiling', batch: 'Batch inference' }[kind]}</button>
            ))}
          </div>
          {form === 'train' ? <TrainingForm /> : form === 'profile' ? <ProfileForm /> : <BatchForm />}
        </>
      ) : null}
      <div className="toolbar">
        <label htmlFor="job-status">Status</label>
        <select id="job-status" value={status} onChange={(event) => { setStatus(event.target.value as JobStatus | ''); pages.reset(); }}>
          <option value="">All</option>
          {statuses.map((value) => <option key={value} value={value}>{value.toLowerCase()}</option>)}
        </select>
      </div>
      <ErrorMessage error={error} />
      {fetching && !data ? <Loading what="jobs" /> : null}
      <table>
        <thead><tr><th scope="col">Job</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Created</th></tr></thead>
        <tbody>
          {(data?.jobs.edges ?? []).map(({ node }) => (
            <tr key={node.id}>
              <td><Link to={`/jobs/${node.id}`}>{node.id.slice(0, 8)}</Link></td>
              <td>{node.kind}</td><td>{node.status}</td><td>{node.progress}%{node.phase ? ` · ${node.phase}` : ''}</td><td>{formatTime(node.createdAt)} by {node.createdBy}</td>
            </tr>
          ))}
          {data && data.jobs.edges.length === 0 ? <tr><td colSpan={5}>No jobs.</td></tr> : null}
        </tbody>
      </table>
      <Pager hasNext={!!data?.jobs.pageInfo.hasNextPage} onNext={() => pages.push(data?.jobs.pageInfo.endCursor)} hasPrevious={pages.depth > 1} onPrevious={pages.pop} />
    </section>
  );
}

function positiveNumber(text: string, integer: boolean): number | undefined {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)) ? value : undefined;
}

function TrainingForm() {
  const [fields, setFields] = useState({ datasetVersionId: '', targetColumn: '', modelType: 'LOGISTIC_REGRESSION' as ModelType, modelName: '', epochs: '50', learningRate: '0.1' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [{ error, fetching }, submit] = useMutation(SubmitTrainingMutation);
  const { navigate } = useRouter();
  const set = (key: keyof typeof fields) => (value: string) => setFields({ ...fields, [key]: value });
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!uuid.test(fields.datasetVersionId.trim())) found['datasetVersionId'] = 'A dataset version id (shown on the dataset page).';
    if (!fields.targetColumn.trim()) found['targetColumn'] = 'The column to predict.';
    const epochs = positiveNumber(fields.epochs, true);
    const learningRate = positiveNumber(fields.learningRate, false);
    // The jobs service's bound (hyperParameters.epochs): refused here rather than after sending.
    if (!epochs || epochs > 2_000) found['epochs'] = 'A whole number from 1 to 2000.';
    if (!learningRate) found['learningRate'] = 'A positive number.';
    setProblems(found);
    if (Object.keys(found).length > 0) return;
    const result = await submit({ input: { datasetVersionId: fields.datasetVersionId.trim(), targetColumn: fields.targetColumn.trim(), modelType: fields.modelType, ...(fields.modelName.trim() ? { modelName: fields.modelName.trim() } : {}), hyperParameters: { epochs: epochs!, learningRate: learningRate! } } });
    if (result.data) navigate(`/jobs/${result.data.submitTrainingJob.id}`);
  };
  return (
    <form className="inline-form" onSubmit={onSubmit} noValidate aria-label="Submit a training job">
      <Field id="train-dataset" label="Dataset version id" error={problems['datasetVersionId']}><input id="train-dataset" size={38} value={fields.datasetVersionId} onChange={(event) => set('datasetVersionId')(event.target.value)} /></Field>
      <Field id="train-target" label="Target column" error={problems['targetColumn']}><input id="train-target" value={fields.targetColumn} onChange={(event) => set('targetColumn')(event.target.value)} /></Field>
      <Field id="train-type" label="Model type">
        <select id="train-type" value={fields.modelType} onChange={(event) => set('modelType')(event.target.value)}>
          <option value="LOGISTIC_REGRESSION">Logistic regression</option><option value="LINEAR_REGRESSION">Linear regression</option><option value="MLP">MLP</option>
        </select>
      </Field>
      <Field id="train-model" label="Model name (optional)"><input id="train-model" value={fields.modelName} onChange={(event) => set('modelName')(event.target.value)} /></Field>
      <Field id="train-epochs" label="Epochs" error={problems['epochs']}><input id="train-epochs" inputMode="numeric" size={6} value={fields.epochs} onChange={(event) => set('epochs')(event.target.value)} /></Field>
      <Field id="train-rate" label="Learning rate" error={problems['learningRate']}><input id="train-rate" inputMode="decimal" size={6} value={fields.learningRate} onChange={(event) => set('learningRate')(event.target.value)} /></Field>
      <button type="submit" disabled={fetching}>Start training</button>
      <ErrorMessage error={error} />
    </form>
  );
}

function ProfileForm() {
  const [datasetVersionId, setId] = useState('');
  const [problem, setProblem] = useState<string>();
  const [{ error }, submit] = useMutation(SubmitProfileJobMutation);
  const { navigate } = useRouter();
  return (
    <form className="inline-form" noValidate aria-label="Submit a profiling job" onSubmit={async (event) => {
      event.preventDefault();
      if (!uuid.test(datasetVersionId.trim())) return setProblem('A dataset version id (shown on the dataset page).');
      setProblem(undefined);
      const result = await submit({ input: { datasetVersionId: datasetVersionId.trim() } });
      if (result.data) navigate(`/jobs/${result.data.submitProfileJob.id}`);
    }}>
      <Field id="profile-dataset" label="Dataset version id" error={problem}><input id="profile-dataset" size={38} value={datasetVersionId} onChange={(event) => setId(event.target.value)} /></Field>
      <button type="submit">Start profiling</button>
      <ErrorMessage error={error} />
    </form>
  );
}

function BatchForm() {
  const [fields, setFields] = useState({ datasetVersionId: '', modelId: '', alias: 'production', outputDatasetName: '' });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [{ error }, submit] = useMutation(SubmitBatchInferenceMutation);
  const { navigate } = useRouter();
  return (
    <form className="inline-form" noValidate aria-label="Submit a batch inference job" onSubmit={async (event) => {
      event.preventDefault();
      const found: Record<string, string> = {};
      if (!uuid.test(fields.datasetVersionId.trim())) found['datasetVersionId'] = 'A dataset version id.';
      if (!uuid.test(fields.modelId.trim())) found['modelId'] = 'A model id (shown in the model page address).';
      setProblems(found);
      if (Object.keys(found).length > 0) return;
      const result = await submit({ input: { datasetVersionId: fields.datasetVersionId.trim(), modelId: fields.modelId.trim(), ...(fields.alias.trim() ? { alias: fields.alias.trim() } : {}), ...(fields.outputDatasetName.trim() ? { outputDatasetName: fields.outputDatasetName.trim() } : {}) } });
      if (result.data) navigate(`/jobs/${result.data.submitBatchInferenceJob.id}`);
    }}>
      <Field id="batch-dataset" label="Dataset version id" error={problems['datasetVersionId']}><input id="batch-dataset" size={38} value={fields.datasetVersionId} onChange={(event) => setFields({ ...fields, datasetVersionId: event.target.value })} /></Field>
      <Field id="batch-model" label="Model id" error={problems['modelId']}><input id="batch-model" size={38} value={fields.modelId} onChange={(event) => setFields({ ...fields, modelId: event.target.value })} /></Field>
      <Field id="batch-alias" label="Alias"><input id="batch-alias" value={fields.alias} onChange={(event) => setFields({ ...fields, alias: event.target.value })} /></Field>
      <Field id="batch-output" label="Output dataset name (optional)"><input id="batch-output" value={fields.outputDatasetName} onChange={(event) => setFields({ ...fields, outputDatasetName: event.target.value })} /></Field>
      <button type="submit">Start batch inference</button>
      <ErrorMessage error={error} />
    </form>
  );
}
