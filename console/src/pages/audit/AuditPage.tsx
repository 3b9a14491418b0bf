import { useEffect, useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery, useSubscription, type CombinedError } from 'urql';
import { usePermission } from '../../auth/AuthContext';
import { ErrorMessage, Field, Loading, Pager, formatTime, useCursorStack } from '../../ui/components';
import { AcknowledgeMutation, AlertsQuery, AlertsSubscription, AuditEventsQuery, CheckpointsQuery, CreateCheckpointMutation, ExportMutation, RemoveWebhookMutation, SetWebhookMutation, VerifyChainQuery, WebhookQuery } from './operations';
import type { AuditEventFilter, AuditOutcome } from '../../generated/graphql';

export function AuditPage() {
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <Events />
      <Chain />
      <Alerts />
      <Webhook />
    </section>
  );
}

function Events() {
  const pages = useCursorStack();
  const [draft, setDraft] = useState({ action: '', actor: '', outcome: '' as AuditOutcome | '', targetId: '' });
  const [filter, setFilter] = useState<AuditEventFilter>({});
  const [{ data, fetching, error }] = useQuery({ query: AuditEventsQuery, variables: { first: 25, after: pages.after ?? null, filter } });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    pages.reset();
    setFilter({ ...(draft.action.trim() ? { action: draft.action.trim() } : {}), ...(draft.actor.trim() ? { actor: draft.actor.trim() } : {}), ...(draft.outcome ? { outcome: draft.outcome } : {}), ...(draft.targetId.trim() ? { targetId: draft.targetId.trim() } : {}) });
  };
  return (
    <>
      <h2>Events</h2>
      <form className="inline-form" onSubmit={apply} aria-label="Filter events">
        <Field id="audit-action" label="Action"><input id="audit-action" value={draft.action} placeholder="e.g. dataset.create" onChange={(event) => setDraft({ ...draft, action: event.target.value })} /></Field>
        <Field id="audit-actor" label="Actor"><input id="audit-actor" value={draft.actor} onChange={(event) => setDraft({ ...draft, actor: event.target.value })} /></Field>
        <Field id="audit-outcome" label="Outcome">
          <select id="audit-outcome" value={draft.outcome} onChange={(event) => setDraft({ ...draft, outcome: event.target.value as AuditOutcome | '' })}>
            <option value="">Any</option><option value="SUCCESS">Success</option><option value="DENIED">Denied</option><option value="FAILED">Failed</option>
          </select>
        </Field>
        <Field id="audit-target" label="Target id"><input id="audit-target" value={draft.targetId} onChange={(event) => setDraft({ ...draft, targetId: event.target.value })} /></Field>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorMessage error={error} />
      {fetching && !data ? <Loading what="audit events" /> : null}
      <table aria-label="Audit events">
        <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Recorded by</th></tr></thead>
        <tbody>
          {(data?.auditEvents.edges ?? []).map(({ node }) => (
            <tr key={node.id}>
              <td>{node.sequence}</td><td>{formatTime(node.occurredAt)}</td><td>{node.action}</td>
              <td><span className={`badge ${node.outcome === 'SUCCESS' ? 'ok' : 'bad'}`}>{node.outcome}</span></td>
              <td>{node.actorSubject} <span className="muted">({node.actorRoles.join(', ')})</span></td>
              <td>{node.targetType}{node.targetId ? <> <code>{node.targetId.slice(0, 12)}</code></> : null}</td>
              <td>{node.recordedBy ?? <span className="muted">not recorded</span>}</td>
            </tr>
          ))}
          {data && data.auditEvents.edges.length === 0 ? <tr><td colSpan={7}>No events.</td></tr> : null}
        </tbody>
      </table>
      <Pager hasNext={!!data?.auditEvents.pageInfo.hasNextPage} onNext={() => pages.push(data?.auditEvents.pageInfo.endCursor)} hasPrevious={pages.depth > 1} onPrevious={pages.pop} />
    </>
  );
}

function Chain() {
  const [verification, verify] = useQuery({ query: VerifyChainQuery, pause: true, requestPolicy: 'network-only' });
  const [checkpoints, reloadCheckpoints] = useQuery({ query: CheckpointsQuery });
  const [created, createCheckpoint] = useMutation(CreateCheckpointMutation);
  const [exported, exportEvents] = useMutation(ExportMutation);
  const canAdminister = usePermission('administer');
  const result = verification.data?.verifyAuditChain;
  return (
    <>
      <h2>Tamper evidence</h2>
      <div className="toolbar">
        <button type="button" onClick={() => verify()}>Verify the chain</button>
        {canAdminister ? <button type="button" onClick={async () => { await createCheckpoint({}); reloadCheckpoints({ requestPolicy: 'network-only' }); }}>Sign a checkpoint now</button> : null}
        <button type="button" onClick={() => void exportEvents({ from: new Date(Date.now() - 30 * 86_400_000).toISOString(), to: new Date().toISOString() })}>Export the last 30 days</button>
      </div>
      <ErrorMessage error={verification.error ?? created.error ?? exported.error ?? checkpoints.error} />
      {verification.fetching ? <Loading what="the verification" /> : null}
      {result ? (
        <p role="status" data-testid="chain-result">
          {result.valid ? <span className="badge ok">Chain intact</span> : <span className="badge bad">Chain broken</span>} {result.checkedEvents} events checked up to #{result.headSequence}, {result.checkpointsChecked} checkpoints.
          {!result.valid ? <> First bad sequence number: <strong>{result.firstBadSequence ?? 'unknown'}</strong> ({result.reason}).</> : null}
        </p>
      ) : null}
      {exported.data ? <p role="status">Exported {exported.data.exportAuditEvents.eventCount} events to <code>{exported.data.exportAuditEvents.objectKey}</code> (proof <code>{exported.data.exportAuditEvents.proofObjectKey}</code>, SHA-256 <code>{exported.data.exportAuditEvents.sha256.slice(0, 16)}…</code>).</p> : null}
      <h3>Checkpoints</h3>
      <table aria-label="Checkpoints">
        <thead><tr><th scope="col">Sequence</th><th scope="col">Signed</th><th scope="col">Head hash</th><th scope="col">Key</th></tr></thead>
        <tbody>
          {(checkpoints.data?.auditCheckpoints ?? []).map((checkpoint) => <tr key={`${checkpoint.sequence}-${checkpoint.signedAt}`}><td>{checkpoint.sequence}</td><td>{formatTime(checkpoint.signedAt)}</td><td><code>{checkpoint.headHash.slice(0, 16)}…</code></td><td>{checkpoint.keyId}</td></tr>)}
          {checkpoints.data && checkpoints.data.auditCheckpoints.length === 0 ? <tr><td colSpan={4}>No checkpoints yet.</td></tr> : null}
        </tbody>
      </table>
    </>
  );
}

function Alerts() {
  const [{ data, error }, reload] = useQuery({ query: AlertsQuery });
  const [live] = useSubscription({ query: AlertsSubscription });
  const [acknowledged, acknowledge] = useMutation(AcknowledgeMutation);
  const canAdminister = usePermission('administer');
  useEffect(() => {
    if (live.data) reload({ requestPolicy: 'network-only' });
  }, [live.data, reload]);
  return (
    <>
      <h2>Alerts <span className="badge ok" title="Alerts arrive live over a subscription">live</span></h2>
      <ErrorMessage error={error ?? live.error ?? acknowledged.error} />
      {acknowledged.data ? <p role="status">Alert acknowledged by {acknowledged.data.acknowledgeAlert.acknowledgedBy}.</p> : null}
      <table aria-label="Alerts">
        <thead><tr><th scope="col">Raised</th><th scope="col">Rule</th><th scope="col">Summary</th><th scope="col">Status</th>{canAdminister ? <th scope="col">Action</th> : null}</tr></thead>
        <tbody>
          {(data?.alerts ?? []).map((alert) => (
            <tr key={alert.id}>
              <td>{formatTime(alert.createdAt)}</td><td>{alert.rule}</td><td>{alert.summary} ({alert.observed} ≥ {alert.threshold})</td>
              <td>{alert.status === 'OPEN' ? <span className="badge bad">open</span> : <span className="badge ok">acknowledged by {alert.acknowledgedBy}</span>}</td>
              {canAdminister ? <td>{alert.status === 'OPEN' ? <button type="button" onClick={async () => { const result = await acknowledge({ id: alert.id }); if (!result.error) reload({ requestPolicy: 'network-only' }); }}>Acknowledge</button> : null}</td> : null}
            </tr>
          ))}
          {data && data.alerts.length === 0 ? <tr><td colSpan={canAdminister ? 5 : 4}>No alerts.</td></tr> : null}
        </tbody>
      </table>
    </>
  );
}

function Webhook() {
  const [{ data, error }, reload] = useQuery({ query: WebhookQuery });
  const client = useClient();
  // The signing secret is held here only, not in a mutation's result: it leaves the page (DOM and
  // memory) when its user dismisses it or removes the webhook it signs for.
  const [secret, setSecret] = useState<string>();
  const [setError, setSetError] = useState<CombinedError>();
  const [removed, removeWebhook] = useMutation(RemoveWebhookMutation);
  const [url, setUrl] = useState('');
  const [problem, setProblem] = useState<string>();
  const canAdminister = usePermission('administer');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return setProblem('An http(s) URL.');
    setProblem(undefined);
    const result = await client.mutation(SetWebhookMutation, { url }).toPromise();
    setSetError(result.error);
    setSecret(result.data?.setAlertWebhook.secret);
    if (!result.error) reload({ requestPolicy: 'network-only' });
  };
  return (
    <>
      <h2>Alert webhook</h2>
      <ErrorMessage error={error ?? setError ?? removed.error} />
      <p>{data?.alertWebhook ? <>Alerts are POSTed to <code>{data.alertWebhook.url}</code> (since {formatTime(data.alertWebhook.createdAt)}).</> : 'No webhook configured.'}</p>
      {secret ? <p role="status">Signing secret (shown once, keep it now): <code>{secret}</code> <button type="button" onClick={() => setSecret(undefined)}>I have saved it</button></p> : null}
      {canAdminister ? (
        <form className="inline-form" onSubmit={submit} noValidate aria-label="Webhook settings">
          <Field id="webhook-url" label="Webhook URL" error={problem}><input id="webhook-url" type="url" size={40} value={url} onChange={(event) => setUrl(event.target.value)} /></Field>
          <button type="submit">Save webhook</button>
          {data?.alertWebhook ? <button type="button" onClick={async () => { const result = await removeWebhook({}); if (!result.error) setSecret(undefined); reload({ requestPolicy: 'network-only' }); }}>Remove webhook</button> : null}
        </form>
      ) : null}
    </>
  );
}
