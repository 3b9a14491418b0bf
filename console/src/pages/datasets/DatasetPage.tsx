import { useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { useAuth, usePermission } from '../../auth/AuthContext';
import { putFile, type UploadFailure } from '../../api/upload';
import { Link, useRouter } from '../../router';
import { ConfirmDialog, ErrorMessage, Field, Loading, ProgressBar, formatBytes, formatTime } from '../../ui/components';
import { CompleteDatasetUploadMutation, CreateDatasetUploadMutation, DatasetPreviewQuery, DatasetQuery, DatasetVersionQuery, DeleteDatasetMutation, ProfileJobsQuery, SubmitProfileMutation } from './operations';

/** A dataset, its versions and one version's schema, preview and profile; `versionId` (from the address) picks the version. */
export function DatasetPage({ id, versionId }: { id: string; versionId?: string | undefined }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: DatasetQuery, variables: { id } });
  // The version is asked of the server on its own: it may be older than the first page of versions,
  // and an id of another dataset or tenant must read as not found, never fall back to the latest.
  const [picked] = useQuery({ query: DatasetVersionQuery, variables: { id: versionId ?? '' }, pause: !versionId });
  const canWrite = usePermission('write');
  const canAdminister = usePermission('administer');
  if (error) return <section><h1>Dataset</h1><ErrorMessage error={error} /></section>;
  if (picked.error) return <section><h1>Dataset version</h1><ErrorMessage error={picked.error} /></section>;
  if ((fetching && !data) || (versionId && !picked.data)) return <Loading what="the dataset" />;
  if (!data) return null;
  const dataset = data.dataset;
  if (picked.data && picked.data.datasetVersion.dataset.id !== dataset.id) return <section><h1>Dataset version</h1><p role="alert" data-code="NOT_FOUND">This dataset has no such version.</p></section>;
  const versions = dataset.versions.edges.map((edge) => edge.node).sort((a, b) => b.number - a.number);
  const version = picked.data?.datasetVersion ?? versions[0];
  return (
    <section aria-labelledby="dataset-title">
      <h1 id="dataset-title">Dataset {dataset.name}</h1>
      <p className="muted">{dataset.description ?? 'No description.'} Created {formatTime(dataset.createdAt)} by {dataset.createdBy}.</p>
      {canWrite ? <Upload datasetId={dataset.id} onDone={() => refetch({ requestPolicy: 'network-only' })} /> : null}
      <h2>Versions</h2>
      {versions.length === 0 ? <p>No versions yet{canWrite ? ': upload a CSV file' : ''}.</p> : (
        <table>
          <thead><tr><th scope="col">Version</th><th scope="col">Rows</th><th scope="col">Size</th><th scope="col">SHA-256</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Select</span></th></tr></thead>
          <tbody>
            {versions.map((candidate) => (
              <tr key={candidate.id} className={candidate.id === version?.id ? 'selected' : undefined}>
                <td>{candidate.number}</td><td>{candidate.rowCount}</td><td>{formatBytes(candidate.byteSize)}</td>
                <td><code>{candidate.sha256.slice(0, 16)}…</code></td><td>{formatTime(candidate.createdAt)} by {candidate.createdBy}</td>
                <td><Link to={`/datasets/${dataset.id}/versions/${candidate.id}`}>Show version {candidate.number}</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {version ? (
        <>
          <h2>Schema of version {version.number}</h2>
          <table aria-label="Schema">
            <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Nullable</th><th scope="col">Nulls</th></tr></thead>
            <tbody>{version.columns.map((column) => <tr key={column.name}><td>{column.name}</td><td>{column.type}</td><td>{column.nullable ? 'yes' : 'no'}</td><td>{column.nullCount}</td></tr>)}</tbody>
          </table>
          <Preview versionId={version.id} />
          <Profile versionId={version.id} canWrite={canWrite} />
          <p className="muted">Version id <code>{version.id}</code> (for training and batch inference).</p>
        </>
      ) : null}
      {canAdminister ? <DeleteDataset id={dataset.id} name={dataset.name} /> : null}
    </section>
  );
}

function Preview({ versionId }: { versionId: string }) {
  const canRead = usePermission('read');
  const [{ data, fetching, error }] = useQuery({ query: DatasetPreviewQuery, variables: { id: versionId }, pause: !canRead });
  if (!canRead) return null;
  return (
    <>
      <h2>Preview</h2>
      <ErrorMessage error={error} />
      {fetching && !data ? <Loading what="the preview" /> : null}
      {data ? (
        <div className="scroll">
          <table aria-label="Preview">
            <thead><tr>{data.datasetVersion.preview.columns.map((column) => <th scope="col" key={column}>{column}</th>)}</tr></thead>
            <tbody>{data.datasetVersion.preview.rows.map((row, index) => <tr key={index}>{row.map((cell, cellIndex) => <td key={cellIndex}>{cell}</td>)}</tr>)}</tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function Profile({ versionId, canWrite }: { versionId: string; canWrite: boolean }) {
  const canRead = usePermission('read');
  const [{ data, error }, refetch] = useQuery({ query: ProfileJobsQuery, variables: { datasetVersionId: versionId }, pause: !canRead });
  const [submitted, submit] = useMutation(SubmitProfileMutation);
  if (!canRead) return null;
  const latest = data?.latest.edges[0]?.node;
  const profiled = data?.profiled.edges[0]?.node;
  const profile = profiled?.result?.profile;
  // A newer profiling job than the one shown: still running, or it failed.
  const pending = latest && latest.id !== profiled?.id ? latest : undefined;
  return (
    <>
      <h2>Profile</h2>
      <ErrorMessage error={error ?? submitted.error} />
      {canWrite ? <button type="button" disabled={submitted.fetching} onClick={async () => { await submit({ input: { datasetVersionId: versionId } }); refetch({ requestPolicy: 'network-only' }); }}>Profile this version</button> : null}
      {pending ? <p>Profiling job {pending.status.toLowerCase()}… <button type="button" onClick={() => refetch({ requestPolicy: 'network-only' })}>Refresh</button></p> : null}
      {profile ? (
        <table aria-label="Profile">
          <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Count</th><th scope="col">Nulls</th><th scope="col">Min</th><th scope="col">Max</th><th scope="col">Mean</th><th scope="col">Std dev</th><th scope="col">Distinct (est.)</th></tr></thead>
          <tbody>{profile.columns.map((column) => (
            <tr key={column.name}><td>{column.name}</td><td>{column.type}</td><td>{column.count}</td><td>{column.nullCount}</td><td>{column.min ?? '—'}</td><td>{column.max ?? '—'}</td><td>{column.mean?.toFixed(3) ?? '—'}</td><td>{column.stddev?.toFixed(3) ?? '—'}</td><td>{column.distinctEstimate ?? '—'}</td></tr>
          ))}</tbody>
        </table>
      ) : !latest ? <p>Not profiled yet.</p> : null}
    </>
  );
}

function Upload({ datasetId, onDone }: { datasetId: string; onDone(): void }) {
  const { manager } = useAuth();
  const client = useClient();
  const [file, setFile] = useState<File>();
  const [problem, setProblem] = useState<string>();
  const [progress, setProgress] = useState<number>();
  const [failure, setFailure] = useState<Error>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    setDone(undefined);
    if (!file) return setProblem('Choose a CSV file.');
    if (file.size === 0) return setProblem('The file is empty.');
    setProblem(undefined);
    setBusy(true);
    try {
      const staged = await client.mutation(CreateDatasetUploadMutation, { input: { datasetId, filename: file.name, byteSize: file.size, contentType: 'text/csv' } }).toPromise();
      if (staged.error || !staged.data) throw staged.error ?? new Error('No upload was reserved.');
      if (file.size > staged.data.createDatasetUpload.maxBytes) throw new Error(`The file is larger than your tenant allows (${formatBytes(staged.data.createDatasetUpload.maxBytes)}).`);
      setProgress(0);
      const user = await manager.getUser();
      await putFile(staged.data.createDatasetUpload.uploadUrl, file, user?.access_token ?? '', 'text/csv', setProgress).catch((error: UploadFailure) => {
        throw new Error(`${error.message} (${error.code})`);
      });
      const completed = await client.mutation(CompleteDatasetUploadMutation, { uploadId: staged.data.createDatasetUpload.id }).toPromise();
      if (completed.error || !completed.data) throw completed.error ?? new Error('The upload was not completed.');
      setDone(`Version ${completed.data.completeDatasetUpload.number} created (${completed.data.completeDatasetUpload.rowCount} rows).`);
      onDone();
    } catch (error) {
      setFailure(error as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="Upload a version">
      <Field id="upload-file" label="Upload a new version (CSV)" error={problem}>
        <input id="upload-file" type="file" accept=".csv,text/csv" onChange={(event) => setFile(event.target.files?.[0])} />
      </Field>
      <button type="submit" disabled={busy}>Upload</button>
      {progress !== undefined ? <ProgressBar value={progress} label="Upload progress" /> : null}
      {done ? <p role="status">{done}</p> : null}
      <ErrorMessage error={failure} />
    </form>
  );
}

function DeleteDataset({ id, name }: { id: string; name: string }) {
  const [open, setOpen] = useState(false);
  const [{ error }, remove] = useMutation(DeleteDatasetMutation);
  const { navigate } = useRouter();
  return (
    <>
      <h2>Danger zone</h2>
      <button type="button" className="danger" onClick={() => setOpen(true)}>Delete dataset</button>
      <ErrorMessage error={error} />
      <ConfirmDialog open={open} title={`Delete ${name}?`} confirmLabel="Delete for good" onCancel={() => setOpen(false)} onConfirm={async () => {
        setOpen(false);
        const result = await remove({ id });
        if (!result.error) navigate('/datasets');
      }}>
        Every version and every stored object of this dataset is deleted. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}
