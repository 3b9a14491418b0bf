import { useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { useAuth, usePermission } from '../../auth/AuthContext';
import { putFile, type UploadFailure } from '../../api/upload';
import { Link } from '../../router';
import { ErrorMessage, Field, Loading, ProgressBar, formatBytes, formatTime } from '../../ui/components';
import { CompleteModelUploadMutation, CreateModelUploadMutation, LineageDatasetQuery, ModelQuery, ModelVersionQuery, PredictQuery, RemoveAliasMutation, SetAliasMutation, UpdateServingMutation } from './operations';
import { describeShape, parseTensor, type Signature } from './signature';
import type { ConsoleModelQuery, ConsoleModelVersionQuery } from '../../generated/graphql';

type Model = ConsoleModelQuery['model'];
type Version = Model['versions']['edges'][number]['node'];
type VersionDetail = ConsoleModelVersionQuery['modelVersion'];

/** A model, its versions and aliases; `versionId` (from the address) picks the version whose signature and predict form show. */
export function ModelPage({ id, versionId }: { id: string; versionId?: string | undefined }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ModelQuery, variables: { id } });
  const canWrite = usePermission('write');
  const canRead = usePermission('read');
  if (error) return <section><h1>Model</h1><ErrorMessage error={error} /></section>;
  if (fetching && !data) return <Loading what="the model" />;
  if (!data) return null;
  const model = data.model;
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const versions = model.versions.edges.map((edge) => edge.node).sort((a, b) => b.number - a.number);
  // An addressed version is asked of the server by VersionDetails (it may be past the first page).
  const version = versionId ? { id: versionId } : versions[0];
  return (
    <section aria-labelledby="model-title">
      <h1 id="model-title">Model {model.name}</h1>
      <p className="muted">{model.description ?? 'No description.'} Created {formatTime(model.createdAt)} by {model.createdBy}.</p>
      {canWrite ? <OnnxUpload modelId={model.id} onDone={reload} /> : null}
      <h2>Versions</h2>
      {versions.length === 0 ? <p>No versions yet.</p> : (
        <table>
          <thead><tr><th scope="col">Version</th><th scope="col">Aliases</th><th scope="col">Lineage</th><th scope="col">Size</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Select</span></th></tr></thead>
          <tbody>
            {versions.map((candidate) => (
              <tr key={candidate.id} className={candidate.id === version?.id ? 'selected' : undefined}>
                <td>{candidate.number}</td>
                <td>{candidate.aliases.map((alias) => <span key={alias} className="badge">{alias}</span>)}</td>
                <td><Lineage version={candidate} /></td>
                <td>{formatBytes(candidate.byteSize)}</td>
                <td>{formatTime(candidate.createdAt)}</td>
                <td><Link to={`/models/${model.id}/versions/${candidate.id}`}>Use version {candidate.number}</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Aliases model={model} versions={versions} canWrite={canWrite} onChange={reload} />
      {version ? <VersionDetails modelId={model.id} versionId={version.id} canRead={canRead} /> : null}
      <Serving model={model} canWrite={canWrite} />
    </section>
  );
}

function VersionDetails({ modelId, versionId, canRead }: { modelId: string; versionId: string; canRead: boolean }) {
  const [{ data, error }] = useQuery({ query: ModelVersionQuery, variables: { id: versionId } });
  if (error) return <ErrorMessage error={error} />;
  if (!data) return <Loading what="the signature" />;
  const version = data.modelVersion;
  if (version.model.id !== modelId) return <p role="alert" data-code="NOT_FOUND">This model has no such version.</p>;
  return (
    <>
      <h2>Signature of version {version.number}</h2>
      <table aria-label="Signature">
        <thead><tr><th scope="col">Direction</th><th scope="col">Name</th><th scope="col">Element type</th><th scope="col">Shape</th></tr></thead>
        <tbody>
          {version.inputs.map((input) => <tr key={`in-${input.name}`}><td>input</td><td><code>{input.name}</code></td><td>{input.elementType}</td><td>{describeShape(input)}</td></tr>)}
          {version.outputs.map((output) => <tr key={`out-${output.name}`}><td>output</td><td><code>{output.name}</code></td><td>{output.elementType}</td><td>{describeShape(output)}</td></tr>)}
        </tbody>
      </table>
      <p className="muted">ONNX IR {version.irVersion}, opsets {version.opsets.map((opset) => `${opset.domain || 'ai.onnx'} ${opset.version}`).join(', ')}{version.producer ? `, produced by ${version.producer}` : ''}.</p>
      {canRead ? <PredictForm modelId={modelId} version={version} /> : null}
    </>
  );
}

function Lineage({ version }: { version: Version }) {
  const datasetVersionId = version.lineage.datasetVersionId;
  const [{ data }] = useQuery({ query: LineageDatasetQuery, variables: { id: datasetVersionId ?? '' }, pause: !datasetVersionId });
  if (!datasetVersionId && !version.lineage.jobId) return <span className="muted">uploaded</span>;
  return (
    <span>
      {data ? <Link to={`/datasets/${data.datasetVersion.dataset.id}`}>{`${data.datasetVersion.dataset.name} v${data.datasetVersion.number}`}</Link> : datasetVersionId ? <code>{datasetVersionId.slice(0, 8)}</code> : null}
      {version.lineage.jobId ? <> · <Link to={`/jobs/${version.lineage.jobId}`}>training job</Link></> : null}
    </span>
  );
}

function Aliases({ model, versions, canWrite, onChange }: { model: Model; versions: Version[]; canWrite: boolean; onChange(): void }) {
  const [alias, setAlias] = useState('production');
  const [number, setNumber] = useState('');
  const [problem, setProblem] = useState<string>();
  const [setResult, setModelAlias] = useMutation(SetAliasMutation);
  const [removeResult, removeModelAlias] = useMutation(RemoveAliasMutation);
  const promote = async (event: FormEvent) => {
    event.preventDefault();
    const version = Number(number || versions[0]?.number);
    if (!/^[a-z][a-z0-9_-]{0,63}$/i.test(alias)) return setProblem('An alias is a letter, then letters, digits, "_" or "-".');
    if (!versions.some((candidate) => candidate.number === version)) return setProblem('Choose an existing version.');
    setProblem(undefined);
    const result = await setModelAlias({ input: { modelId: model.id, alias, version } });
    if (!result.error) onChange();
  };
  return (
    <>
      <h2>Aliases</h2>
      <table aria-label="Aliases">
        <thead><tr><th scope="col">Alias</th><th scope="col">Version</th><th scope="col">Changed</th>{canWrite ? <th scope="col">Actions</th> : null}</tr></thead>
        <tbody>
          {model.aliases.map((entry) => {
            const previous = versions.find((candidate) => candidate.number < entry.version.number);
            return (
              <tr key={entry.alias}>
                <td>{entry.alias}</td><td>{entry.version.number}</td><td>{formatTime(entry.updatedAt)} by {entry.updatedBy}</td>
                {canWrite ? (
                  <td>
                    {previous ? <button type="button" onClick={async () => { const result = await setModelAlias({ input: { modelId: model.id, alias: entry.alias, version: previous.number } }); if (!result.error) onChange(); }}>Roll {entry.alias} back to v{previous.number}</button> : null}
                    <button type="button" onClick={async () => { const result = await removeModelAlias({ modelId: model.id, alias: entry.alias }); if (!result.error) onChange(); }}>Remove {entry.alias}</button>
                  </td>
                ) : null}
              </tr>
            );
          })}
          {model.aliases.length === 0 ? <tr><td colSpan={canWrite ? 4 : 3}>No aliases.</td></tr> : null}
        </tbody>
      </table>
      {canWrite && versions.length > 0 ? (
        <form className="inline-form" onSubmit={promote} noValidate aria-label="Promote a version">
          <Field id="alias-name" label="Alias" error={problem}><input id="alias-name" value={alias} onChange={(event) => setAlias(event.target.value)} /></Field>
          <Field id="alias-version" label="Version">
            <select id="alias-version" value={number || String(versions[0]?.number ?? '')} onChange={(event) => setNumber(event.target.value)}>
              {versions.map((candidate) => <option key={candidate.id} value={candidate.number}>{candidate.number}</option>)}
            </select>
          </Field>
          <button type="submit">Promote</button>
        </form>
      ) : null}
      <ErrorMessage error={setResult.error ?? removeResult.error} />
    </>
  );
}

/**
 * A value the record holds itself: input names come from the uploaded model, and `constructor` or
 * `toString` would otherwise read Object.prototype's functions.
 */
function own(record: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function PredictForm({ modelId, version }: { modelId: string; version: VersionDetail }) {
  const client = useClient();
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ outputs: Array<{ name: string; shape: number[]; data: Array<number | null> }>; latencyMs: number }>();
  const [failure, setFailure] = useState<Error>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const found = new Map<string, string>();
    const inputs = version.inputs.map((signature: Signature) => {
      const parsed = parseTensor(signature, own(texts, signature.name) ?? '');
      if ('problem' in parsed) found.set(signature.name, parsed.problem);
      return { name: signature.name, shape: signature.shape.map((dim) => (dim.size && dim.size > 0 ? dim.size : 1)), data: 'values' in parsed ? parsed.values : [] };
    });
    setProblems(Object.fromEntries(found));
    if (found.size > 0) return;
    const answer = await client.query(PredictQuery, { input: { modelId, version: version.number, inputs } }, { requestPolicy: 'network-only' }).toPromise();
    if (answer.error || !answer.data) {
      setResult(undefined);
      setFailure(answer.error ?? new Error('No prediction.'));
      return;
    }
    setResult({ outputs: answer.data.predict.outputs, latencyMs: answer.data.predict.latencyMs });
  };
  return (
    <>
      <h2>Predict with version {version.number}</h2>
      <form className="inline-form" onSubmit={submit} noValidate aria-label="Predict">
        {version.inputs.map((signature) => (
          <Field key={signature.name} id={`predict-${signature.name}`} label={`${signature.name} (${signature.elementType} ${describeShape(signature)})`} error={own(problems, signature.name)}>
            <input id={`predict-${signature.name}`} value={own(texts, signature.name) ?? ''} placeholder="comma-separated numbers" size={40} aria-invalid={!!own(problems, signature.name)} onChange={(event) => setTexts({ ...texts, [signature.name]: event.target.value })} />
          </Field>
        ))}
        <button type="submit">Predict</button>
      </form>
      <ErrorMessage error={failure} />
      {result ? (
        <div role="status" aria-label="Prediction">
          {result.outputs.map((output) => <p key={output.name}><strong>{output.name}</strong> [{output.shape.join(', ')}]: <code>{output.data.map((value) => (value === null ? 'NaN' : Number(value.toFixed(4)))).join(', ')}</code></p>)}
          <p className="muted">{result.latencyMs.toFixed(1)} ms</p>
        </div>
      ) : null}
    </>
  );
}

function Serving({ model, canWrite }: { model: Model; canWrite: boolean }) {
  const [batching, setBatching] = useState(model.serving.batching);
  const [maxBatchSize, setMaxBatchSize] = useState(String(model.serving.maxBatchSize));
  const [maxDelayMs, setMaxDelayMs] = useState(String(model.serving.maxDelayMs));
  const [timeoutMs, setTimeoutMs] = useState(String(model.serving.timeoutMs));
  const [problem, setProblem] = useState<string>();
  const [{ error, data }, update] = useMutation(UpdateServingMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const numbers = [maxBatchSize, maxDelayMs, timeoutMs].map(Number);
    if (numbers.some((value) => !Number.isInteger(value) || value < 0) || numbers[0]! < 1 || numbers[2]! < 1) return setProblem('Whole numbers: batch size and timeout at least 1, delay at least 0.');
    setProblem(undefined);
    await update({ modelId: model.id, input: { batching, maxBatchSize: numbers[0]!, maxDelayMs: numbers[1]!, timeoutMs: numbers[2]! } });
  };
  return (
    <>
      <h2>Serving</h2>
      <form className="inline-form" onSubmit={submit} noValidate aria-label="Serving settings">
        <fieldset disabled={!canWrite} style={{ display: 'contents' }}>
          <Field id="serving-batching" label="Batching"><input id="serving-batching" type="checkbox" checked={batching} onChange={(event) => setBatching(event.target.checked)} /></Field>
          <Field id="serving-batch" label="Max batch size" error={problem}><input id="serving-batch" inputMode="numeric" value={maxBatchSize} onChange={(event) => setMaxBatchSize(event.target.value)} /></Field>
          <Field id="serving-delay" label="Max delay (ms)"><input id="serving-delay" inputMode="numeric" value={maxDelayMs} onChange={(event) => setMaxDelayMs(event.target.value)} /></Field>
          <Field id="serving-timeout" label="Timeout (ms)"><input id="serving-timeout" inputMode="numeric" value={timeoutMs} onChange={(event) => setTimeoutMs(event.target.value)} /></Field>
          {canWrite ? <button type="submit">Save serving settings</button> : null}
        </fieldset>
      </form>
      {data ? <p role="status">Serving settings saved.</p> : null}
      <ErrorMessage error={error} />
    </>
  );
}

function OnnxUpload({ modelId, onDone }: { modelId: string; onDone(): void }) {
  const { manager } = useAuth();
  const client = useClient();
  const [file, setFile] = useState<File>();
  const [problem, setProblem] = useState<string>();
  const [progress, setProgress] = useState<number>();
  const [failure, setFailure] = useState<Error>();
  const [done, setDone] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    setDone(undefined);
    if (!file) return setProblem('Choose an .onnx file.');
    if (!file.name.toLowerCase().endsWith('.onnx')) return setProblem('The file must be an ONNX model (.onnx).');
    setProblem(undefined);
    try {
      const staged = await client.mutation(CreateModelUploadMutation, { input: { modelId, filename: file.name, byteSize: file.size } }).toPromise();
      if (staged.error || !staged.data) throw staged.error ?? new Error('No upload was reserved.');
      setProgress(0);
      const user = await manager.getUser();
      // The gateway validates the model (onnxruntime must load it); its error is shown as is.
      await putFile(staged.data.createModelUpload.uploadUrl, file, user?.access_token ?? '', 'application/octet-stream', setProgress).catch((error: UploadFailure) => {
        throw new Error(`${error.message} (${error.code})`);
      });
      const completed = await client.mutation(CompleteModelUploadMutation, { uploadId: staged.data.createModelUpload.id, idempotencyKey: staged.data.createModelUpload.id }).toPromise();
      if (completed.error || !completed.data) throw completed.error ?? new Error('The upload was not completed.');
      setDone(`Version ${completed.data.completeModelUpload.number} registered.`);
      onDone();
    } catch (error) {
      setFailure(error as Error);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="Upload an ONNX version">
      <Field id="onnx-file" label="Upload a new version (ONNX)" error={problem}>
        <input id="onnx-file" type="file" accept=".onnx" onChange={(event) => setFile(event.target.files?.[0])} />
      </Field>
      <button type="submit">Upload model</button>
      {progress !== undefined ? <ProgressBar value={progress} label="Model upload progress" /> : null}
      {done ? <p role="status">{done}</p> : null}
      <ErrorMessage error={failure} />
    </form>
  );
}
