import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { usePermission } from '../../auth/AuthContext';
import { Link, useRouter } from '../../router';
import { ErrorMessage, Field, Loading, Pager, formatTime, useCursorStack } from '../../ui/components';
import { nameProblem } from '../datasets/validation';
import { CreateModelMutation, ModelsQuery } from './operations';

export function ModelsPage() {
  const pages = useCursorStack();
  const [{ data, fetching, error }] = useQuery({ query: ModelsQuery, variables: { first: 20, after: pages.after ?? null } });
  const canWrite = usePermission('write');
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      {canWrite ? <CreateModel /> : null}
      <ErrorMessage error={error} />
      {fetching && !data ? <Loading what="models" /> : null}
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Versions</th><th scope="col">Aliases</th><th scope="col">Created</th></tr></thead>
        <tbody>
          {(data?.models.edges ?? []).map(({ node }) => (
            <tr key={node.id}>
              <td><Link to={`/models/${node.id}`}>{node.name}</Link>{node.description ? <div className="muted">{node.description}</div> : null}</td>
              <td>{node.versionCount}</td>
              <td>{node.aliases.map((alias) => <span key={alias.alias} className="badge">{alias.alias} → v{alias.version.number}</span>)}</td>
              <td>{formatTime(node.createdAt)}</td>
            </tr>
          ))}
          {data && data.models.edges.length === 0 ? <tr><td colSpan={4}>No models yet.</td></tr> : null}
        </tbody>
      </table>
      <Pager hasNext={!!data?.models.pageInfo.hasNextPage} onNext={() => pages.push(data?.models.pageInfo.endCursor)} hasPrevious={pages.depth > 1} onPrevious={pages.pop} />
    </section>
  );
}

function CreateModel() {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string>();
  const [{ fetching, error }, create] = useMutation(CreateModelMutation);
  const { navigate } = useRouter();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const invalid = nameProblem(name);
    setProblem(invalid);
    if (invalid) return;
    const result = await create({ input: { name: name.trim() } });
    if (result.data) navigate(`/models/${result.data.createModel.id}`);
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="New model">
      <Field id="new-model-name" label="New model name" error={problem}>
        <input id="new-model-name" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={!!problem} />
      </Field>
      <button type="submit" disabled={fetching}>Create model</button>
      <ErrorMessage error={error} />
    </form>
  );
}
