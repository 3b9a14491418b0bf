import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { usePermission } from '../../auth/AuthContext';
import { Link, useRouter } from '../../router';
import { ErrorMessage, Field, Loading, Pager, formatBytes, formatTime, useCursorStack } from '../../ui/components';
import { CreateDatasetMutation, DatasetsQuery } from './operations';
import { nameProblem } from './validation';

export function DatasetsPage() {
  const pages = useCursorStack();
  const [search, setSearch] = useState('');
  const [{ data, fetching, error }] = useQuery({ query: DatasetsQuery, variables: { first: 20, after: pages.after ?? null } });
  const canWrite = usePermission('write');
  const edges = data?.datasets.edges ?? [];
  // The API lists by page; the search narrows the page shown (names and descriptions).
  const needle = search.trim().toLowerCase();
  const shown = needle ? edges.filter(({ node }) => `${node.name} ${node.description ?? ''}`.toLowerCase().includes(needle)) : edges;
  return (
    <section aria-labelledby="datasets-title">
      <h1 id="datasets-title">Datasets</h1>
      {canWrite ? <CreateDataset /> : null}
      <div className="toolbar">
        <label htmlFor="dataset-search">Search</label>
        <input id="dataset-search" type="search" value={search} onChange={(event) => setSearch(event.target.value)} placeholder="Name or description" />
      </div>
      <ErrorMessage error={error} />
      {fetching && !data ? <Loading what="datasets" /> : null}
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Versions</th><th scope="col">Rows (latest)</th><th scope="col">Size (latest)</th><th scope="col">Created</th></tr></thead>
        <tbody>
          {shown.map(({ node }) => (
            <tr key={node.id}>
              <td><Link to={`/datasets/${node.id}`}>{node.name}</Link>{node.description ? <div className="muted">{node.description}</div> : null}</td>
              <td>{node.versionCount}</td>
              <td>{node.latestVersion?.rowCount ?? '—'}</td>
              <td>{node.latestVersion ? formatBytes(node.latestVersion.byteSize) : '—'}</td>
              <td>{formatTime(node.createdAt)}</td>
            </tr>
          ))}
          {data && shown.length === 0 ? <tr><td colSpan={5}>No datasets{needle ? ' match' : ''}.</td></tr> : null}
        </tbody>
      </table>
      <Pager hasNext={!!data?.datasets.pageInfo.hasNextPage} onNext={() => pages.push(data?.datasets.pageInfo.endCursor)} hasPrevious={pages.depth > 1} onPrevious={pages.pop} />
    </section>
  );
}

function CreateDataset() {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<string>();
  const [{ fetching, error }, create] = useMutation(CreateDatasetMutation);
  const { navigate } = useRouter();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const invalid = nameProblem(name);
    setProblem(invalid);
    if (invalid) return;
    const result = await create({ input: { name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) } });
    if (result.data) navigate(`/datasets/${result.data.createDataset.id}`);
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="New dataset">
      <Field id="new-dataset-name" label="New dataset name" error={problem}>
        <input id="new-dataset-name" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={!!problem} aria-describedby={problem ? 'new-dataset-name-error' : undefined} />
      </Field>
      <Field id="new-dataset-description" label="Description (optional)">
        <input id="new-dataset-description" value={description} onChange={(event) => setDescription(event.target.value)} />
      </Field>
      <button type="submit" disabled={fetching}>Create dataset</button>
      <ErrorMessage error={error} />
    </form>
  );
}
