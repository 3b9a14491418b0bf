/**
 * deploy/kubernetes rendered with `kubectl kustomize` (both overlays) and checked against the API
 * schemas and against the code the pods run: no cluster here, so this is what stands between a
 * manifest and a deployment that does not start or lets a service reach what it must not.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { gatewayEnvironment, migratorEnvironment, portCallersOf, portsCalledBy, subgraphEnvironment, subgraphNames, type SubgraphName } from '@tessera/platform';
import { readSupervisorEnvironment, workerEnvironment, workerPortOwners } from '@tessera/workers';
import { keyServiceEnvironment } from '@tessera/key-service';
import { subscriptionKeepAliveMs, TrustedProxies } from '@tessera/gateway';
import { poolName, sharedPool, type RingSignals } from '@tessera/job-queue';
import { dedicatedWorkerAccountUser, localAccountHosts, openMigrationDataSource } from '@tessera/tenancy';
import { ensureLocalPki } from '@tessera/local-infra';
import { certificateRegion } from '@tessera/service-kit';
import { objectStoreTransport } from '@tessera/storage';
import { developmentDedicatedTenant, developmentDedicatedWorkerIdentity, developmentWorkerRegion, writeDevelopmentSecrets } from '../deploy/kubernetes/generate-dev-secrets';
import { datasetsMemoryFloorBytes, modelsMemoryFloorBytes, quantityBytes, workerMemoryFloorBytes } from './memory-bounds';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are untyped YAML */
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const root = join(__dirname, '..');
const overlays = ['development', 'production'] as const;
type Overlay = (typeof overlays)[number];
const rendered = {} as Record<Overlay, Manifest[]>;
let workDir: string;

beforeAll(async () => {
  // A copy, so the development secrets this writes never land in the checkout.
  workDir = mkdtempSync(join(tmpdir(), 'tessera-k8s-'));
  cpSync(join(root, 'deploy', 'kubernetes'), workDir, { recursive: true });
  await writeDevelopmentSecrets(join(workDir, 'overlays', 'development', 'secrets'), process.env['TESSERA_PKI_DIR']);
  for (const overlay of overlays) {
    const text = execFileSync('kubectl', ['kustomize', join(workDir, 'overlays', overlay)], { encoding: 'utf8' });
    rendered[overlay] = parseAllDocuments(text).map((doc) => doc.toJSON() as Manifest);
  }
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const byKind = (overlay: Overlay, kind: string) => rendered[overlay].filter((m) => m.kind === kind);
const workloads = (overlay: Overlay) => [...byKind(overlay, 'Deployment'), ...byKind(overlay, 'Job')];
const podLabels = (w: Manifest): Record<string, string> => w.spec.template.metadata.labels;
const componentOf = (w: Manifest) => podLabels(w)['app.kubernetes.io/component']!;

/** Which pods a label selector (matchLabels, `In` expressions, or a Service's plain map) matches. */
function matches(selector: any, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector?.matchExpressions ?? []).every((e: any) => (e.operator === 'In' ? e.values.includes(labels[e.key]) : false));
  return byLabel && byExpression;
}
const selects = (serviceSelector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.keys(serviceSelector ?? {}).length > 0 && matches({ matchLabels: serviceSelector }, labels);

/** An image reference with a digest, or a tag other than `latest` (the tag is after the last `/`). */
function imagePinned(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

/**
 * Whether the pod's user can read the files of each Secret volume: the kubelet writes them owned by
 * root with `defaultMode` (0644 unset), and with a pod `fsGroup` hands them to that group with its
 * read bit added. A non-root user without either reads nothing of a 0400 or 0440 Secret.
 */
function unreadableSecretVolumes(pod: any): string[] {
  const root = pod.securityContext?.runAsUser === 0;
  const fsGroup = pod.securityContext?.fsGroup !== undefined;
  return (pod.volumes ?? [])
    .filter((v: any) => v.secret)
    .filter((v: any) => !root && !fsGroup && ((v.secret.defaultMode ?? 0o644) & 0o004) === 0)
    .map((v: any) => `${v.name} (${v.secret.secretName}, mode ${(v.secret.defaultMode ?? 0o644).toString(8)}, no fsGroup)`);
}

/** The ring a worker Deployment serves, from the args its pods run (`worker [--dedicated <tenant>]`). */
function ringOf(worker: Manifest): string {
  const args: string[] = worker.spec.template.spec.containers[0].args;
  const dedicated = args.includes('--dedicated') ? args[args.indexOf('--dedicated') + 1]! : undefined;
  return poolName(dedicated ? { kind: 'dedicated', tenantId: dedicated } : sharedPool('us-east-1'));
}

/**
 * What must hold for KEDA to scale each ring on its own ring's `/_scaling` and nothing else's: every
 * ScaledObject's metrics-api URL is the ClusterIP Service (same namespace) that selects exactly its
 * target's pods, on their health port; the triggers read the supervisor's two signals at its
 * default thresholds; minReplicaCount >= 1 (the pods themselves answer); and only one named
 * namespace reaches the workers' port 4010. Returns each violation (none: []).
 */
function scalingViolations(manifests: Manifest[]): string[] {
  const problems: string[] = [];
  const workers = manifests.filter((m) => m.kind === 'Deployment' && podLabels(m)['app.kubernetes.io/component'] === 'worker');
  const services = manifests.filter((m) => m.kind === 'Service');
  const supervisor = readSupervisorEnvironment({});
  const expectedTriggers: Array<{ metricType: string; valueLocation: keyof RingSignals; targetValue: string }> = [
    { metricType: 'AverageValue', valueLocation: 'queued', targetValue: String(supervisor.queuedPerWorker) },
    { metricType: 'Value', valueLocation: 'oldestWaitMs', targetValue: String(supervisor.maxWaitMs) },
  ];
  for (const s of manifests.filter((m) => m.kind === 'ScaledObject')) {
    const id = `ScaledObject ${s.metadata.name}`;
    const target = workers.find((w) => w.metadata.name === s.spec.scaleTargetRef?.name);
    if (!target) {
      problems.push(`${id}: targets no worker Deployment`);
      continue;
    }
    if (!(s.spec.minReplicaCount >= 1)) problems.push(`${id}: minReplicaCount ${s.spec.minReplicaCount} (a metrics-api scaler on the pods needs >= 1)`);
    const triggers: any[] = s.spec.triggers ?? [];
    const shape = triggers.map((t) => ({ type: t.type, metricType: t.metricType, valueLocation: t.metadata?.valueLocation, targetValue: t.metadata?.targetValue }));
    if (JSON.stringify(shape) !== JSON.stringify(expectedTriggers.map((t) => ({ type: 'metrics-api', ...t })))) problems.push(`${id}: triggers ${JSON.stringify(shape)}`);
    const urls = [...new Set(triggers.map((t) => String(t.metadata?.url)))];
    if (urls.length !== 1) {
      problems.push(`${id}: triggers ask ${urls.length} URLs`);
      continue;
    }
    const url = new URL(urls[0]!);
    const host = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(url.hostname);
    if (url.protocol !== 'http:' || url.pathname !== '/_scaling' || !host) {
      problems.push(`${id}: ${urls[0]} is not http://<service>.<namespace>.svc.cluster.local:<port>/_scaling`);
      continue;
    }
    const service = services.find((v) => v.metadata.name === host[1] && (v.metadata as { namespace?: string }).namespace === host[2]);
    if (!service) {
      problems.push(`${id}: no Service ${host[1]} in namespace ${host[2]}`);
      continue;
    }
    const ring = ringOf(target);
    const selected = workers.filter((w) => selects(service.spec.selector, podLabels(w)));
    const selectedNames = selected.map((w) => `${w.metadata.name} (${ringOf(w)})`).sort();
    if (selectedNames.join() !== `${target.metadata.name} (${ring})`) problems.push(`${id} (ring ${ring}): Service ${service.metadata.name} selects [${selectedNames.join(', ')}]`);
    if ((service.spec.type ?? 'ClusterIP') !== 'ClusterIP') problems.push(`${id}: Service ${service.metadata.name} is ${service.spec.type}, not ClusterIP`);
    const servicePort = (service.spec.ports ?? []).find((p: any) => String(p.port) === (url.port || '80'));
    const health = target.spec.template.spec.containers[0].ports?.find((p: any) => p.name === 'health');
    if (!servicePort || !health || (servicePort.targetPort !== health.name && servicePort.targetPort !== health.containerPort) || health.containerPort !== 4010) {
      problems.push(`${id}: ${urls[0]} does not reach the pods' health port 4010 through Service ${service.metadata.name}`);
    }
  }
  // Port 4010 is plain HTTP: whoever a policy admits there must be one named namespace (an empty
  // namespaceSelector admits them all), the KEDA operator's.
  for (const policy of manifests.filter((m) => m.kind === 'NetworkPolicy')) {
    if (!workers.some((w) => matches(policy.spec.podSelector, podLabels(w)))) continue;
    for (const rule of policy.spec.ingress ?? []) {
      if (!(rule.ports ?? []).some((p: any) => p.port === 4010 || p.port === 'health')) continue;
      for (const peer of rule.from ?? []) {
        const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        if (typeof namespace !== 'string' || namespace === '' || Object.keys(peer.namespaceSelector).length !== 1 || Object.keys(peer.namespaceSelector.matchLabels).length !== 1) {
          problems.push(`NetworkPolicy ${policy.metadata.name}: admits ${JSON.stringify(peer)} to the workers' port 4010, not one named namespace`);
        }
      }
    }
  }
  return problems;
}

function validate(objects: unknown[]): Array<{ kind: string; name: string; error: string | null }> {
  const out = execFileSync('node', [join(root, 'deploy', 'kubernetes', 'validate-manifests.mjs')], { input: JSON.stringify(objects), encoding: 'utf8', cwd: root });
  return JSON.parse(out);
}

describe.each(overlays)('deploy/kubernetes overlays/%s', (overlay) => {
  it('is valid against the Kubernetes, KEDA and External Secrets schemas', () => {
    const results = validate(rendered[overlay]);
    expect(results).toHaveLength(rendered[overlay].length);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
  });

  // The schema check passes unknown fields, which `kubectl apply` (strict field validation) refuses:
  // a label one level too high in a pod template is such a field, and the pod would lack the label.
  it('gives every pod template only metadata (labels, annotations) and spec', () => {
    const stray = workloads(overlay).flatMap((w) => [
      ...Object.keys(w.spec.template).filter((key) => !['metadata', 'spec'].includes(key)),
      ...Object.keys(w.spec.template.metadata ?? {}).filter((key) => !['labels', 'annotations'].includes(key)),
    ].map((key) => `${w.kind} ${w.metadata.name}: spec.template.${key}`));
    expect(stray).toEqual([]);
  });

  it("labels the pods of every Deployment labelled as a key-provider client (the production overlay's Vault patch selects them)", () => {
    const clients = byKind(overlay, 'Deployment').filter((w) => w.metadata.labels?.['tessera.dev/key-provider'] === 'true');
    expect(clients.map(componentOf).sort()).toEqual(['audit', 'datasets', 'jobs', 'models', 'tenants']);
    for (const w of clients) expect(podLabels(w)['tessera.dev/key-provider']).toBe('true');
  });

  it('runs the one image with `tessera <service>`: gateway, every subgraph, the shared worker pool, the migrate Job', () => {
    const images = new Set(workloads(overlay).flatMap((w) => w.spec.template.spec.containers.map((c: any) => c.image)));
    expect(images.size).toBe(1);
    const args = Object.fromEntries(workloads(overlay).map((w) => [w.metadata.name, w.spec.template.spec.containers[0].args]));
    expect(args['tessera-gateway']).toEqual(['gateway']);
    for (const name of subgraphNames) expect(args[`tessera-${name}`]).toEqual([name]);
    expect(args['tessera-worker']).toEqual(['worker']);
    expect(args['tessera-migrate']).toEqual(['migrate']);
    expect(Boolean(args['tessera-keys'])).toBe(overlay === 'development');
    if (overlay === 'development') expect(args[`tessera-worker-${developmentDedicatedTenant}`]).toEqual(['worker', '--dedicated', developmentDedicatedTenant]);
  });

  // A ServiceAccount is the pod's identity wherever one is bound to it (Vault's Kubernetes login,
  // cloud workload identity, mesh and network identities): a dedicated tenant's workers under the
  // shared pool's, or the migrator under the namespace's `default`, would be indistinguishable there.
  it('runs every workload under a ServiceAccount of its own, declared, that mounts no token', () => {
    const accounts = new Map(byKind(overlay, 'ServiceAccount').map((a) => [a.metadata.name, a]));
    const names = workloads(overlay).map((w) => ({ workload: w.metadata.name, account: w.spec.template.spec.serviceAccountName as string | undefined }));
    for (const { workload, account } of names) {
      expect({ workload, account, declared: account !== undefined && accounts.has(account), automount: account === undefined ? undefined : (accounts.get(account) as any)?.automountServiceAccountToken }).toEqual({ workload, account, declared: true, automount: false });
    }
    const shared = names.filter(({ account }, i) => names.findIndex((n) => n.account === account) !== i);
    expect(shared).toEqual([]);
  });

  // A base's `images:` reaches only the base's own objects: a workload an overlay adds (a dedicated
  // tenant's workers) keeps whatever its file says, and an untagged `mariadb` is `mariadb:latest`.
  it('pins every container image, init containers and overlay-added workloads included, to a tag other than latest', () => {
    const unpinned = workloads(overlay).flatMap((w) => {
      const pod = w.spec.template.spec;
      return [...(pod.initContainers ?? []), ...pod.containers].map((c: any) => ({ id: `${w.metadata.name}/${c.name}`, image: String(c.image) }));
    }).filter(({ image }) => !imagePinned(image));
    expect(unpinned).toEqual([]);
  });

  it('gives every container requests and limits and the hardened security context; every Deployment container probes', () => {
    for (const w of workloads(overlay)) {
      const pod = w.spec.template.spec;
      expect({ name: w.metadata.name, pod: pod.securityContext }).toMatchObject({ name: w.metadata.name, pod: { runAsNonRoot: true, runAsUser: expect.any(Number), seccompProfile: { type: 'RuntimeDefault' } } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect({ workload: w.metadata.name, unreadable: unreadableSecretVolumes(pod) }).toEqual({ workload: w.metadata.name, unreadable: [] });
      const writable = new Set((pod.volumes ?? []).filter((v: any) => v.emptyDir || v.persistentVolumeClaim).map((v: any) => v.name));
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const id = `${w.metadata.name}/${c.name}`;
        // ephemeral-storage: requested where the pod has disk volumes (next test), never capped (their sizeLimits are).
        expect({ id, requests: Object.keys(c.resources?.requests ?? {}).filter((k) => k !== 'ephemeral-storage').sort(), limits: Object.keys(c.resources?.limits ?? {}).sort() }).toEqual({ id, requests: ['cpu', 'memory'], limits: ['cpu', 'memory'] });
        expect({ id, sc: c.securityContext }).toEqual({ id, sc: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } });
        // A read-only root: whatever the process writes goes to a volume mounted for it.
        for (const mount of c.volumeMounts ?? []) if (!mount.readOnly) expect({ id, mount: mount.name, writable: writable.has(mount.name) }).toEqual({ id, mount: mount.name, writable: true });
      }
      if (w.kind === 'Deployment') {
        const c = pod.containers[0];
        expect({ id: w.metadata.name, liveness: Boolean(c.livenessProbe), readiness: Boolean(c.readinessProbe) }).toEqual({ id: w.metadata.name, liveness: true, readiness: true });
      }
    }
  });

  /** The literal values a container's environment gets (its env values and its ConfigMaps'). */
  function containerEnvValues(c: any): Record<string, string> {
    const configMaps = byKind(overlay, 'ConfigMap');
    const fromMaps = (c.envFrom ?? []).flatMap((source: any) => Object.entries(configMaps.find((m) => m.metadata.name === source.configMapRef?.name)?.data ?? {}));
    return Object.fromEntries([...fromMaps, ...(c.env ?? []).filter((e: any) => typeof e.value === 'string').map((e: any) => [e.name, e.value])]);
  }

  it("requests the node disk its volumes may fill (an unrequested user is evicted first), and holds the CSV upload spool on a volume of the spool's size", () => {
    for (const w of workloads(overlay)) {
      const pod = w.spec.template.spec;
      const disks = (pod.volumes ?? []).filter((v: any) => v.emptyDir && v.emptyDir.medium !== 'Memory');
      for (const v of disks) expect({ workload: w.metadata.name, volume: v.name, sizeLimit: v.emptyDir.sizeLimit !== undefined }).toEqual({ workload: w.metadata.name, volume: v.name, sizeLimit: true });
      const needed = disks.reduce((sum: number, v: any) => sum + quantityBytes(v.emptyDir.sizeLimit), 0);
      const requested = [...(pod.initContainers ?? []), ...pod.containers].reduce((sum: number, c: any) => sum + quantityBytes(c.resources?.requests?.['ephemeral-storage'] ?? 0), 0);
      expect({ workload: w.metadata.name, requested: requested >= needed }).toEqual({ workload: w.metadata.name, requested: true });
    }
    const datasets = workloads(overlay).find((w) => componentOf(w) === 'datasets')!;
    const container = datasets.spec.template.spec.containers[0];
    const env = containerEnvValues(container);
    const shape = subgraphEnvironment('datasets').shape as Record<string, z.ZodType>;
    const spool = { dir: shape['CSV_UPLOAD_SPOOL_DIR']!.parse(env['CSV_UPLOAD_SPOOL_DIR']) as string | undefined, totalBytes: shape['CSV_UPLOAD_SPOOL_BYTES']!.parse(env['CSV_UPLOAD_SPOOL_BYTES']) as number | undefined };
    // The spool's own default when unset (upload-spool.ts): 4 GiB.
    spool.totalBytes ??= 4 * 1024 ** 3;
    // Unset, the spool would sit in a directory under /tmp, the 512 MiB volume of everything else.
    expect(spool.dir).toBeDefined();
    const mount = container.volumeMounts.find((m: any) => m.mountPath === spool.dir);
    const volume = datasets.spec.template.spec.volumes.find((v: any) => v.name === mount?.name);
    expect({ dir: spool.dir, volume: volume?.name, writable: mount?.readOnly !== true }).toEqual({ dir: spool.dir, volume: 'csv-spool', writable: true });
    // The spool refuses uploads past its bytes; the volume holds them, with room for files being removed.
    expect(quantityBytes(volume.emptyDir.sizeLimit)).toBeGreaterThan(spool.totalBytes!);
  });

  it('holds the models prediction log (the outbox of answered predictions) on a volume larger than its bound, not in /tmp', () => {
    const models = workloads(overlay).find((w) => componentOf(w) === 'models')!;
    const container = models.spec.template.spec.containers[0];
    const env = containerEnvValues(container);
    const shape = subgraphEnvironment('models').shape as Record<string, z.ZodType>;
    const dir = shape['INFERENCE_STATS_LOG_DIR']!.parse(env['INFERENCE_STATS_LOG_DIR']) as string | undefined;
    const maxMb = shape['INFERENCE_STATS_LOG_MAX_MB']!.parse(env['INFERENCE_STATS_LOG_MAX_MB']) as number;
    // Unset, the log would sit under /tmp, the 512 MiB volume of everything else, under a 1 GiB default bound.
    expect(dir).toBeDefined();
    const mount = container.volumeMounts.find((m: any) => m.mountPath === dir);
    const volume = models.spec.template.spec.volumes.find((v: any) => v.name === mount?.name);
    expect({ dir, volume: volume?.name, writable: mount?.readOnly !== true }).toEqual({ dir, volume: 'prediction-log', writable: true });
    // The log refuses predictions past its bound; the volume holds it, with room for segments being removed.
    expect(quantityBytes(volume.emptyDir.sizeLimit)).toBeGreaterThan(maxMb * 1024 ** 2);
  });

  it('lets the models, worker and datasets containers use more memory than the bounds the code enforces, so those refuse work before the kernel kills the container', () => {
    const floors: Record<string, (env: Record<string, string>) => number> = { models: modelsMemoryFloorBytes, worker: workerMemoryFloorBytes, datasets: datasetsMemoryFloorBytes };
    const checked = workloads(overlay).filter((w) => componentOf(w) in floors);
    expect(checked.length).toBeGreaterThanOrEqual(3);
    for (const w of checked) {
      const c = w.spec.template.spec.containers[0];
      const floor = floors[componentOf(w)]!(containerEnvValues(c));
      expect({ workload: w.metadata.name, limit: quantityBytes(c.resources.limits.memory) >= floor, floorMiB: floor / 2 ** 20 }).toEqual({ workload: w.metadata.name, limit: true, floorMiB: floor / 2 ** 20 });
    }
  });

  // The scheduler places pods by their requests. A container whose code may legitimately grow to its
  // floor (one tenant's inference processes, CSV threads) while requesting a fraction of it is
  // over-committed: on a node packed by requests, that growth is node memory pressure, and the
  // kubelet evicts the pods furthest over their requests — this one, with every tenant's work in it —
  // or the kernel kills whatever it picks on the node.
  it('requests at least the memory the code lets the models, worker and datasets containers use', () => {
    const floors: Record<string, (env: Record<string, string>) => number> = { models: modelsMemoryFloorBytes, worker: workerMemoryFloorBytes, datasets: datasetsMemoryFloorBytes };
    const checked = workloads(overlay).filter((w) => componentOf(w) in floors);
    expect(checked.length).toBeGreaterThanOrEqual(3);
    for (const w of checked) {
      const c = w.spec.template.spec.containers[0];
      const floor = floors[componentOf(w)]!(containerEnvValues(c));
      expect({ workload: w.metadata.name, request: quantityBytes(c.resources.requests.memory) >= floor, floorMiB: floor / 2 ** 20 }).toEqual({ workload: w.metadata.name, request: true, floorMiB: floor / 2 ** 20 });
    }
  });

  it('probes the health routes the services serve', () => {
    const probeText = (p: any) => JSON.stringify(p);
    for (const w of byKind(overlay, 'Deployment')) {
      const c = w.spec.template.spec.containers[0];
      const component = componentOf(w);
      if (component === 'keys') expect(c.readinessProbe.tcpSocket).toBeDefined();
      else {
        expect({ component, probe: probeText(c.readinessProbe) }).toEqual({ component, probe: expect.stringContaining('/_readiness') });
        expect({ component, probe: probeText(c.livenessProbe) }).toEqual({ component, probe: expect.stringContaining('/_health') });
      }
      // The subgraphs' listeners require a client certificate: an httpGet probe would always fail.
      if (subgraphNames.includes(component as SubgraphName)) expect(c.readinessProbe.exec.command.join(' ')).toContain("cert: f('TLS_CERT_FILE')");
    }
  });

  const schemaOf = (component: string): z.ZodObject =>
    component === 'gateway' ? gatewayEnvironment : component === 'worker' ? workerEnvironment : component === 'migrate' ? migratorEnvironment : component === 'keys' ? keyServiceEnvironment : subgraphEnvironment(component as SubgraphName);
  const requiredKeys = (schema: z.ZodObject) => Object.entries(schema.shape).filter(([, t]) => !(t as z.ZodType).safeParse(undefined).success).map(([k]) => k);

  function containerEnvKeys(c: any): string[] {
    const configMaps = byKind(overlay, 'ConfigMap');
    const fromConfigMaps = (c.envFrom ?? []).flatMap((source: any) => {
      const map = configMaps.find((m) => m.metadata.name === source.configMapRef?.name);
      if (!map) throw new Error(`envFrom ${JSON.stringify(source)}: no such ConfigMap`);
      return Object.keys(map.data ?? {});
    });
    return [...(c.env ?? []).map((e: any) => e.name), ...fromConfigMaps];
  }

  it("gives each container every variable its service's schema requires and none it does not read", () => {
    for (const w of workloads(overlay)) {
      const component = componentOf(w);
      const schema = schemaOf(component);
      const keys = containerEnvKeys(w.spec.template.spec.containers[0]);
      expect({ component, duplicate: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ component, duplicate: [] });
      expect({ component, missing: requiredKeys(schema).filter((k) => !keys.includes(k)) }).toEqual({ component, missing: [] });
      expect({ component, unknown: keys.filter((k) => !(k in schema.shape)) }).toEqual({ component, unknown: [] });
      // The init container holds a subset of its service's variables (its own account, no more).
      for (const init of w.spec.template.spec.initContainers ?? []) expect({ component, unknown: containerEnvKeys(init).filter((k) => !(k in schema.shape)) }).toEqual({ component, unknown: [] });
    }
  });

  it('declares every Secret and ConfigMap (and key) a pod references; each pod references only its own Secrets', () => {
    const declaredSecrets = new Map<string, string[]>();
    for (const s of byKind(overlay, 'Secret')) declaredSecrets.set(s.metadata.name, Object.keys(s.data ?? {}));
    for (const e of byKind(overlay, 'ExternalSecret')) declaredSecrets.set(e.spec.target.name, e.spec.data.map((d: any) => d.secretKey));
    const declaredMaps = new Map(byKind(overlay, 'ConfigMap').map((m) => [m.metadata.name, Object.keys(m.data ?? {})]));
    if (overlay === 'production') expect(byKind(overlay, 'Secret')).toEqual([]);
    const refs: Array<{ kind: 'Secret' | 'ConfigMap'; name: string; key?: string; from: string }> = [];
    for (const w of workloads(overlay)) {
      const pod = w.spec.template.spec;
      const from = w.metadata.name;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const e of c.env ?? []) {
          if (e.valueFrom?.secretKeyRef) refs.push({ kind: 'Secret', name: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key, from });
          if (e.valueFrom?.configMapKeyRef) refs.push({ kind: 'ConfigMap', name: e.valueFrom.configMapKeyRef.name, key: e.valueFrom.configMapKeyRef.key, from });
        }
        for (const s of c.envFrom ?? []) {
          if (s.secretRef) refs.push({ kind: 'Secret', name: s.secretRef.name, from });
          if (s.configMapRef) refs.push({ kind: 'ConfigMap', name: s.configMapRef.name, from });
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.secret) refs.push({ kind: 'Secret', name: v.secret.secretName, from });
        if (v.configMap) refs.push({ kind: 'ConfigMap', name: v.configMap.name, from });
      }
    }
    for (const ref of byKind(overlay, 'TriggerAuthentication').flatMap((t) => t.spec.secretTargetRef)) refs.push({ kind: 'Secret', name: ref.name, key: ref.key, from: 'keda' });
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) {
      const keys = (ref.kind === 'Secret' ? declaredSecrets : declaredMaps).get(ref.name);
      expect({ ref, declared: keys !== undefined && (ref.key === undefined || keys.includes(ref.key)) }).toEqual({ ref, declared: true });
    }
    // Names carry kustomize's content hash in development: compare the stem.
    const stem = (name: string) => name.replace(/-[a-z0-9]{10}$/, '');
    for (const w of workloads(overlay)) {
      const component = componentOf(w);
      const identity = component === 'worker' ? 'workers' : component;
      // A dedicated tenant's workers (tessera-worker-<tenant>) have their own Secret and certificate besides.
      const keyProviderCa = podLabels(w)['tessera.dev/key-provider'] === 'true' ? ['tessera-key-provider-ca'] : [];
      const own = new Set([`tessera-${component}`, `tessera-${identity}-tls`, 'tessera-ca', 'tessera-stores-ca', ...keyProviderCa, ...(w.metadata.name !== `tessera-${component}` ? [w.metadata.name, `${w.metadata.name}-tls`] : [])]);
      const secrets = [...new Set(refs.filter((r) => r.kind === 'Secret' && r.from === w.metadata.name).map((r) => stem(r.name)))];
      expect({ workload: w.metadata.name, foreign: secrets.filter((s) => !own.has(s)) }).toEqual({ workload: w.metadata.name, foreign: [] });
    }
  });

  it("autoscales the gateway and each subgraph (HPA) and each worker pool on its own ring's /_scaling, through its own Service (KEDA); PDBs select existing pods", () => {
    const deployments = byKind(overlay, 'Deployment');
    const names = new Set(deployments.map((d) => d.metadata.name));
    const hpaTargets = byKind(overlay, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name).sort();
    expect(hpaTargets).toEqual(['tessera-gateway', ...subgraphNames.map((n) => `tessera-${n}`)].sort());
    const workers = deployments.filter((d) => componentOf(d) === 'worker');
    const scaled = byKind(overlay, 'ScaledObject');
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(workers.map((w) => w.metadata.name).sort());
    expect(scalingViolations(rendered[overlay])).toEqual([]);
    for (const target of [...hpaTargets]) expect(names.has(target)).toBe(true);
    const pdbs = byKind(overlay, 'PodDisruptionBudget');
    for (const d of deployments) expect({ d: d.metadata.name, pdb: pdbs.some((p) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => podLabels(d)[k] === v)) }).toEqual({ d: d.metadata.name, pdb: true });
    for (const p of pdbs) expect({ pdb: p.metadata.name, selects: deployments.filter((d) => Object.entries(p.spec.selector.matchLabels).every(([k, v]) => podLabels(d)[k] === v)).length }).toEqual({ pdb: p.metadata.name, selects: 1 });
  });

  // The init containers run a third-party image (mariadb's client) before the service: they need the
  // CA file to verify the database, never the certificate's private key.
  it("mounts no private key into an init container: of a pod's TLS Secret only its CA file", () => {
    let checked = 0;
    for (const w of workloads(overlay)) {
      const pod = w.spec.template.spec;
      for (const c of pod.initContainers ?? []) {
        for (const mount of c.volumeMounts ?? []) {
          const secret = pod.volumes.find((v: any) => v.name === mount.name)?.secret;
          if (!secret) continue;
          const files: string[] = mount.subPath ? [mount.subPath] : secret.items ? secret.items.map((i: any) => i.path) : ['(every key)'];
          const exposed = files.filter((f) => f === 'key.pem' || (f === '(every key)' && /-tls(-[a-z0-9]{10})?$/.test(secret.secretName)));
          expect({ workload: w.metadata.name, init: c.name, secret: secret.secretName, exposed }).toEqual({ workload: w.metadata.name, init: c.name, secret: secret.secretName, exposed: [] });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("spreads every Deployment's replicas over zones and nodes, selecting exactly its own pods, without ever leaving one unscheduled", () => {
    for (const d of byKind(overlay, 'Deployment')) {
      const constraints: any[] = d.spec.template.spec.topologySpreadConstraints ?? [];
      expect({ d: d.metadata.name, keys: constraints.map((c) => c.topologyKey) }).toEqual({ d: d.metadata.name, keys: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'] });
      for (const c of constraints) {
        expect({ d: d.metadata.name, c: c.topologyKey, skew: c.maxSkew, when: c.whenUnsatisfiable, selects: c.labelSelector.matchLabels }).toEqual({
          d: d.metadata.name,
          c: c.topologyKey,
          skew: 1,
          when: 'ScheduleAnyway',
          selects: d.spec.selector.matchLabels,
        });
      }
    }
  });

  // `kubectl apply` sets every field the manifest names: a Deployment an autoscaler owns that still
  // names `replicas` is put back to that count on every apply (each upgrade, each config change),
  // removing the pods the HPA or KEDA added for the load of the moment, so every tenant's requests
  // and jobs queue on the floor's capacity until the autoscaler catches up.
  it('leaves the replica count of every autoscaled Deployment to its HPA or ScaledObject', () => {
    const autoscaled = new Set([...byKind(overlay, 'HorizontalPodAutoscaler'), ...byKind(overlay, 'ScaledObject')].map((a) => a.spec.scaleTargetRef.name as string));
    expect(autoscaled.size).toBeGreaterThanOrEqual(8);
    const named = byKind(overlay, 'Deployment').filter((d) => autoscaled.has(d.metadata.name)).map((d) => ({ deployment: d.metadata.name, replicas: d.spec.replicas }));
    expect(named.filter((d) => d.replicas !== undefined)).toEqual([]);
  });

  type Edge = string;
  const edge = (from: string, to: string, port: number | string) => `${from} -> ${to}:${port}`;

  /** The allowed graph, read from the policies: pod-to-pod edges among Tessera's components, and edges out to named peers. */
  function allowedGraph(): { ingress: Edge[]; egress: Edge[] } {
    const components = [...new Set(workloads(overlay).map(componentOf))];
    const labelsOf = (component: string) => podLabels(workloads(overlay).find((w) => componentOf(w) === component)!);
    const peerNames = (policy: Manifest, peer: any): string[] => {
      if (peer.ipBlock) return [policy.metadata.annotations?.['tessera.dev/egress-to'] ?? `ipBlock ${peer.ipBlock.cidr}`];
      if (peer.namespaceSelector) {
        const ns = peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
        // A namespace an overlay may move (KEDA's) is named by the policy's annotation.
        const named = policy.metadata.annotations?.['tessera.dev/ingress-from'];
        return [ns === 'kube-system' ? 'dns' : ns === 'ingress-nginx' ? 'ingress-controller' : named ?? `namespace ${JSON.stringify(peer.namespaceSelector)}`];
      }
      const inNamespace = components.filter((c) => matches(peer.podSelector, labelsOf(c)));
      return inNamespace.length > 0 ? inNamespace : [policy.metadata.annotations?.['tessera.dev/egress-to'] ?? `pods ${JSON.stringify(peer.podSelector)}`];
    };
    const ingress: Edge[] = [];
    const egress: Edge[] = [];
    for (const policy of byKind(overlay, 'NetworkPolicy')) {
      const selected = components.filter((c) => matches(policy.spec.podSelector, labelsOf(c)));
      for (const rule of policy.spec.ingress ?? []) for (const peer of rule.from) for (const from of peerNames(policy, peer)) for (const to of selected) for (const p of rule.ports) ingress.push(edge(from, to, p.port));
      for (const rule of policy.spec.egress ?? []) for (const peer of rule.to) for (const to of peerNames(policy, peer)) for (const from of selected) for (const p of rule.ports) egress.push(edge(from, to, `${p.protocol}/${p.port}`));
    }
    return { ingress: [...new Set(ingress)].sort(), egress: [...new Set(egress)].sort() };
  }

  it('denies everything by default and allows exactly the edges of the ports table and the schemas', () => {
    const deny = byKind(overlay, 'NetworkPolicy').find((p) => p.metadata.name === 'tessera-default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

    const components = [...new Set(workloads(overlay).map(componentOf))];
    const port: Record<string, number> = Object.fromEntries(byKind(overlay, 'Service').map((s) => [s.spec.selector['app.kubernetes.io/component'], s.spec.ports[0].port]));
    const schemaHas = (component: string, key: string) => key in schemaOf(component).shape;
    const callers = (owner: SubgraphName) => portCallersOf(owner).map((c) => (c === 'workers' ? 'worker' : c));
    // Expected, from the code: who calls whose port, and which schema reads which store.
    // KEDA's operator asks each ring's `/_scaling` on the workers' health port.
    const ingress: Edge[] = [edge('ingress-controller', 'gateway', 4000), edge('keda', 'worker', 4010)];
    const egress: Edge[] = components.map((c) => edge(c, 'dns', 'UDP/53')).concat(components.map((c) => edge(c, 'dns', 'TCP/53')));
    for (const owner of subgraphNames) {
      for (const from of ['gateway', ...callers(owner)]) {
        ingress.push(edge(from, owner, port[owner]!));
        egress.push(edge(from, owner, `TCP/${port[owner]}`));
      }
    }
    const external = overlay === 'production';
    const stores: Array<[string, string, number, (c: string) => boolean]> = [
      ['mysql', 'mysql', 3306, (c) => schemaHas(c, 'DATABASE_URL') || schemaHas(c, 'DATABASE_ADMIN_URL')],
      ['redis', 'redis', 6380, (c) => schemaHas(c, 'REDIS_URL')],
      // The workers keep no store key but fetch presigned URLs of one object under a job grant.
      ['object-store', 'object-store', external ? 443 : 9000, (c) => c === 'worker' || schemaHas(c, 'S3_ENDPOINT')],
      ['key-provider', external ? 'key-provider' : 'keys', 8200, (c) => c !== 'keys' && schemaHas(c, 'KEY_PROVIDER_URL')],
      ['oidc', 'oidc', external ? 443 : 8443, (c) => schemaHas(c, 'OIDC_ISSUER_URL')],
    ];
    for (const [, peer, p, uses] of stores) for (const c of components.filter(uses)) egress.push(edge(c, peer, `TCP/${p}`));
    // Sessions are minted by the STS endpoint (OBJECT_STORE_STS_ENDPOINT, default the S3 endpoint):
    // where it is another host (AWS: sts.<region>.amazonaws.com, its own interface endpoint, not the
    // S3 one's addresses), the services that mint sessions need an edge to it — and only they.
    const objectStore = byKind(overlay, 'ConfigMap').find((m) => m.metadata.name.startsWith('tessera-object-store'))!.data!;
    const sts = new URL(objectStore['OBJECT_STORE_STS_ENDPOINT'] ?? objectStore['S3_ENDPOINT']!);
    if (objectStore['OBJECT_STORE_CREDENTIALS'] === 'sts' && sts.host !== new URL(objectStore['S3_ENDPOINT']!).host) {
      for (const c of components.filter((c) => schemaHas(c, 'OBJECT_STORE_STS_ENDPOINT'))) egress.push(edge(c, 'sts', `TCP/${sts.port || 443}`));
    }
    if (!external) for (const c of components.filter((c) => c !== 'keys' && schemaHas(c, 'KEY_PROVIDER_URL'))) ingress.push(edge(c, 'keys', 8200));
    // Tenant-configured alert webhooks: the audit service alone.
    egress.push(edge('audit', 'webhooks', 'TCP/443'));

    const actual = allowedGraph();
    expect(actual.ingress).toEqual([...new Set(ingress)].sort());
    expect(actual.egress).toEqual([...new Set(egress)].sort());
    // Guards the derivation: the callers table is the catalog's, workers included.
    expect(portsCalledBy['metrics']).toEqual(expect.arrayContaining(['jobs', 'datasets', 'models', 'audit']));
    expect(workerPortOwners).toEqual(expect.arrayContaining(['jobs', 'datasets', 'models']));
  });
});

describe('deploy/kubernetes development overlay: the stores as pods of the namespace', () => {
  // The namespace's default deny selects every pod in it, the stores' too: each edge the Tessera
  // pods may take to a store pod must be admitted at that pod as well, or nothing reaches it.
  it('admits at each store pod exactly the components whose egress policy names it, on its port', () => {
    const manifests = rendered.development;
    const components = [...new Set(workloads('development').map(componentOf))];
    const labelsOf = (component: string) => podLabels(workloads('development').find((w) => componentOf(w) === component)!);
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy');
    const checked: string[] = [];
    for (const policy of policies.filter((p) => p.metadata.annotations?.['tessera.dev/egress-to'])) {
      for (const rule of policy.spec.egress ?? []) {
        for (const peer of rule.to ?? []) {
          const target = peer.podSelector?.matchLabels as Record<string, string> | undefined;
          // Peers that are Tessera pods (the key service) have their own ingress policy, checked by the graph test.
          if (!target || peer.namespaceSelector || components.some((c) => matches(peer.podSelector, labelsOf(c)))) continue;
          const store = policy.metadata.annotations!['tessera.dev/egress-to']!;
          for (const port of rule.ports) {
            const callers = components.filter((c) => matches(policy.spec.podSelector, labelsOf(c))).sort();
            const admitted = policies
              .filter((p) => (p.spec.policyTypes ?? []).includes('Ingress') && matches(p.spec.podSelector, target))
              .flatMap((p) => (p.spec.ingress ?? []).filter((r: any) => (r.ports ?? []).some((q: any) => q.port === port.port)))
              .flatMap((r: any) => r.from ?? [])
              .flatMap((from: any) => (from.namespaceSelector || from.ipBlock ? [`not a pod of the namespace: ${JSON.stringify(from)}`] : components.filter((c) => matches(from.podSelector, labelsOf(c)))));
            expect({ store, port: port.port, admitted: [...new Set(admitted)].sort() }).toEqual({ store, port: port.port, admitted: callers });
            checked.push(store);
          }
        }
      }
    }
    expect([...new Set(checked)].sort()).toEqual(['mysql', 'object-store', 'oidc', 'redis']);
  });
});

describe('deploy/kubernetes production gateway behind its ingress', () => {
  it("keys per-address limits by the client the ingress names, and only the ingress controller's pods may name one", () => {
    const config = byKind('production', 'ConfigMap').find((m) => m.metadata.name.startsWith('tessera-gateway'))!;
    const proxies = new TrustedProxies(gatewayEnvironment.shape.TRUSTED_PROXIES.parse(config.data?.['TRUSTED_PROXIES']));
    expect(proxies.clientOf('10.42.0.15', '198.51.100.7, 203.0.113.7')).toBe('203.0.113.7');
    expect(proxies.clientOf('203.0.113.99', '198.51.100.7')).toBe('203.0.113.99');
    // Trusting the pod network is safe only because nothing else in it reaches the gateway.
    const policy = byKind('production', 'NetworkPolicy').find((m) => m.metadata.name === 'tessera-gateway-ingress')!;
    expect(policy.spec.ingress.flatMap((rule: any) => rule.from)).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } },
    ]);
  });
});

describe('deploy/kubernetes production ingress annotations against the gateway it fronts', () => {
  const ingress = () => byKind('production', 'Ingress').find((m) => m.metadata.name === 'tessera-gateway')!;
  const annotation = (name: string) => ingress().metadata.annotations?.[`nginx.ingress.kubernetes.io/${name}`];
  /** A gateway setting as the production pods get it: their ConfigMap's value, or the schema's default. */
  function gatewaySetting<K extends 'MAX_UPLOAD_BYTES' | 'TRANSFER_IDLE_TIMEOUT_MS' | 'REQUEST_BODY_TIMEOUT_MS'>(name: K): number {
    const config = byKind('production', 'ConfigMap').find((m) => m.metadata.name.startsWith('tessera-gateway'))!;
    return gatewayEnvironment.shape[name].parse(config.data?.[name]);
  }
  /** nginx's size syntax (client_max_body_size): bytes, k, m or g. */
  function nginxBytes(value: string): number {
    const match = /^(\d+)([kmg]?)$/i.exec(value);
    if (!match) throw new Error(`not an nginx size: ${value}`);
    return Number(match[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[match[2]!.toLowerCase()]!;
  }

  it('streams request bodies to the gateway instead of buffering them (its transfer slots, idle timeout and upload pace see the client)', () => {
    expect(annotation('proxy-request-buffering')).toBe('off');
  });

  it('lets every body the gateway accepts through, and leaves the refusal of one just over MAX_UPLOAD_BYTES to the gateway', () => {
    const ingressBytes = nginxBytes(annotation('proxy-body-size')!);
    const maxUploadBytes = gatewaySetting('MAX_UPLOAD_BYTES');
    expect(ingressBytes).toBeGreaterThan(maxUploadBytes);
    expect(ingressBytes - maxUploadBytes).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('waits on a slow client longer than the gateway does, so the gateway cuts it with its typed answer', () => {
    const sendTimeoutMs = Number(annotation('proxy-send-timeout')) * 1000;
    expect(sendTimeoutMs).toBeGreaterThan(gatewaySetting('TRANSFER_IDLE_TIMEOUT_MS'));
    expect(sendTimeoutMs).toBeGreaterThan(gatewaySetting('REQUEST_BODY_TIMEOUT_MS'));
    // client-body-timeout is the controller's ConfigMap's (60 s unless changed there): between two reads of the client's body.
    expect(gatewaySetting('TRANSFER_IDLE_TIMEOUT_MS')).toBeLessThan(60_000);
  });

  it("keeps idle subscriptions open (the gateway's WebSocket pings come well within the read timeout) and waits minutes for an upload's answer", () => {
    const readTimeoutMs = Number(annotation('proxy-read-timeout')) * 1000;
    expect(readTimeoutMs).toBeGreaterThanOrEqual(2 * subscriptionKeepAliveMs);
    expect(readTimeoutMs).toBeGreaterThanOrEqual(300_000);
  });

  // backend-protocol HTTPS alone encrypts the hop but nginx checks no certificate (proxy_ssl_verify
  // is off by default): anything answering for the gateway's pod addresses would receive every
  // client's bearer token and API key.
  it("verifies the gateway's certificate, by the gateway's identity, against the platform CA from a declared Secret", () => {
    expect(annotation('backend-protocol')).toBe('HTTPS');
    expect(annotation('proxy-ssl-verify')).toBe('on');
    // CN and DNS SAN of a service certificate are the identity (scripts/local-pki.sh; README Transport security).
    expect(annotation('proxy-ssl-name')).toBe('gateway');
    expect(annotation('proxy-ssl-server-name')).toBe('on');
    const [namespace, name] = String(annotation('proxy-ssl-secret')).split('/');
    expect(namespace).toBe((ingress().metadata as { namespace?: string }).namespace);
    const source = byKind('production', 'ExternalSecret').find((e) => e.spec.target.name === name);
    // ingress-nginx reads the trust anchors of a proxy-ssl-secret from its ca.crt key; the platform CA only, no private key.
    expect(source?.spec.data.map((d: any) => d.secretKey)).toEqual(['ca.crt']);
    expect(source?.spec.data[0].remoteRef).toEqual({ key: 'tessera/ca', property: 'ca.pem' });
  });
});

describe('deploy/kubernetes production object store certificates', () => {
  // OBJECT_STORE_TLS_CA_FILE is the one CA the services' S3 and STS clients trust (it replaces the
  // public roots, objectStoreTransport): set to the platform CA while S3 and STS are AWS's, whose
  // certificates chain to Amazon's public roots, every upload, download, prediction load and
  // session would fail its certificate check.
  it("verifies AWS S3 and STS against the public roots: no private CA file names the trust for an amazonaws.com endpoint", () => {
    const config = byKind('production', 'ConfigMap').find((m) => m.metadata.name.startsWith('tessera-object-store'))!.data!;
    const endpoints = [config['S3_ENDPOINT'], config['OBJECT_STORE_STS_ENDPOINT']].filter((e): e is string => e !== undefined);
    expect(endpoints.some((e) => new URL(e).hostname.endsWith('.amazonaws.com'))).toBe(true);
    expect(config['OBJECT_STORE_TLS_CA_FILE']).toBeUndefined();
    // What a CA file would do: the agent trusts it alone.
    const agent = objectStoreTransport({ endpoint: 'https://s3.us-east-1.amazonaws.com', tlsCaFile: join(process.env['TESSERA_PKI_DIR'] ?? join(root, '.tessera', 'pki'), 'ca.pem') }).transportAgent as unknown as { options: { ca?: unknown } };
    expect(typeof agent.options.ca).toBe('string');
  });

  it('keeps the platform CA for the development store (MinIO with a certificate of the local CA)', () => {
    const config = byKind('development', 'ConfigMap').find((m) => m.metadata.name.startsWith('tessera-object-store'))!.data!;
    expect(config['OBJECT_STORE_TLS_CA_FILE']).toBe('/run/tessera/tls/ca.pem');
  });
});

describe('deploy/kubernetes production: the managed stores\' certificates', () => {
  // TLS_CA_FILE is the trust anchor of the subgraphs' mutual TLS (whose client certificates a
  // listener accepts). Managed MySQL and Redis present their provider's certificates (RDS's CA,
  // Amazon's public roots for ElastiCache): verified against that same file, an operator could only
  // make them work by adding the provider's CA to the services' mTLS trust anchor.
  it('verifies MySQL and Redis against a CA bundle of their own (tessera-stores-ca), never the file the mTLS listeners trust', () => {
    const configMaps = byKind('production', 'ConfigMap');
    const envOf = (c: any): Record<string, string> => Object.fromEntries([
      ...(c.envFrom ?? []).flatMap((source: any) => Object.entries(configMaps.find((m) => m.metadata.name === source.configMapRef?.name)?.data ?? {})),
      ...(c.env ?? []).filter((e: any) => typeof e.value === 'string').map((e: any) => [e.name, e.value]),
      ...(c.env ?? []).filter((e: any) => e.valueFrom?.configMapKeyRef).map((e: any) => [e.name, configMaps.find((m) => m.metadata.name === e.valueFrom.configMapKeyRef.name)!.data![e.valueFrom.configMapKeyRef.key]]),
    ]);
    const checked: string[] = [];
    for (const w of workloads('production')) {
      const pod = w.spec.template.spec;
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const env = envOf(c);
        const bundles = { DATABASE_TLS_CA_FILE: 'tessera-stores-ca', REDIS_TLS_CA_FILE: 'tessera-stores-ca', KEY_PROVIDER_TLS_CA_FILE: 'tessera-key-provider-ca' } as const;
        for (const [variable, bundle] of Object.entries(bundles)) {
          const file = env[variable];
          if (file === undefined) continue;
          const id = `${w.metadata.name}/${c.name} ${variable}`;
          expect({ id, sameAsMtls: file === env['TLS_CA_FILE'] || file === '/run/tessera/tls/ca.pem' }).toEqual({ id, sameAsMtls: false });
          const mount = (c.volumeMounts ?? []).find((m: any) => file.startsWith(`${m.mountPath}/`));
          const volume = pod.volumes.find((v: any) => v.name === mount?.name);
          expect({ id, secret: volume?.secret?.secretName, readOnly: mount?.readOnly }).toEqual({ id, secret: bundle, readOnly: true });
          checked.push(id);
        }
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(2 * 8 + 8 + 1);
    // Every service that talks to the key provider (datasets, models, jobs, audit, tenants) verifies it against its own CA.
    expect(checked.filter((id) => id.endsWith('KEY_PROVIDER_TLS_CA_FILE')).length).toBeGreaterThanOrEqual(5);
    for (const bundle of ['tessera-stores-ca', 'tessera-key-provider-ca']) {
      const source = byKind('production', 'ExternalSecret').find((e) => e.spec.target.name === bundle);
      // The providers' CA certificates only: no private key.
      expect({ bundle, keys: source?.spec.data.map((d: any) => d.secretKey) }).toEqual({ bundle, keys: ['ca.pem'] });
    }
  });
});

describe('deploy/kubernetes production egress of the pods that run tenant models', () => {
  it('lets the models and worker pods reach private addresses only: no way out to the internet', () => {
    const privateCidr = /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/;
    const pods = workloads('production').filter((w) => ['models', 'worker'].includes(componentOf(w)));
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const pod of pods) {
      const blocks = byKind('production', 'NetworkPolicy')
        .filter((policy) => (policy.spec.policyTypes ?? []).includes('Egress') && matches(policy.spec.podSelector, podLabels(pod)))
        .flatMap((policy) => (policy.spec.egress ?? []).flatMap((rule: any) => (rule.to ?? []).filter((peer: any) => peer.ipBlock).map((peer: any) => `${policy.metadata.name} ${peer.ipBlock.cidr}`)));
      expect(blocks.length).toBeGreaterThan(0);
      expect({ pod: componentOf(pod), public: blocks.filter((block) => !privateCidr.test(block.split(' ')[1]!)) }).toEqual({ pod: componentOf(pod), public: [] });
    }
  });
});

describe('deploy/kubernetes worker scaling invariants', () => {
  /** The development overlay (both rings) with one change made to a copy of it. */
  function tampered(change: (manifests: Manifest[]) => void): Manifest[] {
    const copy = structuredClone(rendered.development);
    change(copy);
    return copy;
  }
  const find = (manifests: Manifest[], kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
  const dedicated = `tessera-worker-${developmentDedicatedTenant}`;
  const pointAt = (scaledObject: Manifest, service: string) => {
    for (const t of scaledObject.spec.triggers) t.metadata.url = `http://${service}.tessera.svc.cluster.local:4010/_scaling`;
  };

  it('hold for the rendered overlay, which has both rings', () => {
    expect(byKind('development', 'ScaledObject').map((s) => s.metadata.name).sort()).toEqual(['tessera-worker', dedicated]);
    expect(scalingViolations(rendered.development)).toEqual([]);
  });

  it("refuse a dedicated tenant's ScaledObject asking the shared ring's Service, and the reverse", () => {
    expect(scalingViolations(tampered((m) => pointAt(find(m, 'ScaledObject', dedicated), 'tessera-worker')))).toEqual([
      expect.stringContaining(`ScaledObject ${dedicated} (ring dedicated-${developmentDedicatedTenant}): Service tessera-worker selects [tessera-worker (shared-us-east-1)]`),
    ]);
    expect(scalingViolations(tampered((m) => pointAt(find(m, 'ScaledObject', 'tessera-worker'), dedicated)))).toEqual([
      expect.stringContaining(`ScaledObject tessera-worker (ring shared-us-east-1): Service ${dedicated} selects [${dedicated} (dedicated-${developmentDedicatedTenant})]`),
    ]);
  });

  it("refuse a ring's Service that selects another ring's pods too, or is exposed beyond the cluster", () => {
    const wide = scalingViolations(tampered((m) => (find(m, 'Service', 'tessera-worker').spec.selector = { 'app.kubernetes.io/component': 'worker' })));
    expect(wide).toEqual([expect.stringContaining(`Service tessera-worker selects [tessera-worker (shared-us-east-1), ${dedicated} (dedicated-${developmentDedicatedTenant})]`)]);
    expect(scalingViolations(tampered((m) => (find(m, 'Service', dedicated).spec.type = 'LoadBalancer')))).toEqual([expect.stringContaining('is LoadBalancer, not ClusterIP')]);
  });

  it('refuse minReplicaCount 0, another signal, and any namespace but one named one on port 4010', () => {
    expect(scalingViolations(tampered((m) => (find(m, 'ScaledObject', dedicated).spec.minReplicaCount = 0)))).toEqual([expect.stringContaining('minReplicaCount 0')]);
    expect(scalingViolations(tampered((m) => (find(m, 'ScaledObject', 'tessera-worker').spec.triggers[0].metadata.valueLocation = 'tenants')))).toEqual([expect.stringContaining('ScaledObject tessera-worker: triggers')]);
    const policy = (m: Manifest[]) => find(m, 'NetworkPolicy', 'tessera-worker-scaling-ingress').spec.ingress[0].from[0];
    expect(scalingViolations(tampered((m) => (policy(m).namespaceSelector = {})))).toEqual([expect.stringContaining("not one named namespace")]);
    expect(scalingViolations(tampered((m) => delete policy(m).namespaceSelector))).toEqual([expect.stringContaining("not one named namespace")]);
  });
});

describe('deploy/kubernetes validator', () => {
  it('refuses an object the schema refuses (a bad quantity, a missing required field)', () => {
    const results = validate([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'a', resources: { limits: { cpu: {} } } }] } } } },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'bad' }, spec: { triggers: [{ type: 'redis', metadata: { listLength: 2 } }] } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad' }, data: { k: 'not base64!' } },
    ]);
    expect(results.map((r) => r.error === null)).toEqual([false, false, false]);
  });
});

describe('deploy/kubernetes await-migration.sh', () => {
  const script = join(root, 'deploy', 'kubernetes', 'base', 'await-migration.sh');
  const env = (schema: string) => ({
    PATH: process.env['PATH'],
    DATABASE_URL: `mysql://tessera_datasets:${process.env['TESSERA_DB_PASSWORD_DATASETS'] ?? 'tessera-datasets-local-dev'}@127.0.0.1:3306`,
    CONTROL_SCHEMA: schema,
    DATABASE_TLS_CA_FILE: join(process.env['TESSERA_PKI_DIR'] ?? join(root, '.tessera', 'pki'), 'ca.pem'),
    AWAIT_MIGRATION_INTERVAL_SECONDS: '1',
  });

  it('returns once the account is granted on the control schema', async () => {
    // A control schema of its own, granted as `tessera migrate` would (whether another test or
    // `npm start` migrated the default one must not matter).
    const schema = `ttest_await_${randomBytes(4).toString('hex')}`;
    const admin = await openMigrationDataSource({ adminUrl: process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306', tlsCa: ensureLocalPki().ca }, undefined, []);
    try {
      await admin.query(`CREATE DATABASE \`${schema}\``);
      await admin.query(`CREATE TABLE \`${schema}\`.tenants (id INT PRIMARY KEY)`);
      for (const host of localAccountHosts) await admin.query(`GRANT SELECT ON \`${schema}\`.tenants TO 'tessera_datasets'@'${host}'`);
      expect(execFileSync('bash', [script], { env: env(schema), encoding: 'utf8', timeout: 20_000 })).toContain(`tessera_datasets is granted on ${schema}`);
    } finally {
      for (const host of localAccountHosts) await admin.query(`REVOKE ALL PRIVILEGES ON \`${schema}\`.tenants FROM 'tessera_datasets'@'${host}'`).catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS \`${schema}\``);
      await admin.destroy();
    }
  });

  it('keeps waiting while the account holds nothing there', () => {
    let output = '';
    try {
      execFileSync('bash', [script], { env: env('tessera_never_migrated'), encoding: 'utf8', timeout: 2_500, killSignal: 'SIGKILL' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(output).toContain('waiting for tessera migrate to grant tessera_datasets on tessera_never_migrated');
  });
});

describe('deploy/kubernetes development overlay: credentials of a dedicated tenant\'s workers', () => {
  it("gives a dedicated tenant's workers their own certificate (CN workers-dedicated-<tenant>), their own database account and Redis user, and no SERVICE_KEY; the shared pool keeps its own", () => {
    const worker = (name: string) => workloads('development').find((w) => w.metadata.name === name)!;
    const unsuffixed = (name: string) => name.replace(/-[a-z0-9]{10}$/, '');
    /** Each secret variable as `NAME from <secret>`, of the worker container and of the init containers (await-migration connects too). */
    const fromSecrets = (container: any) =>
      (container.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => `${e.name} from ${unsuffixed(e.valueFrom.secretKeyRef.name)}`).sort();
    const credentials = (w: Manifest) => {
      const spec = w.spec.template.spec;
      const certificate = unsuffixed(spec.volumes.find((v: any) => v.name === 'tls').secret.secretName);
      return { secretKeys: fromSecrets(spec.containers[0]), init: (spec.initContainers ?? []).flatMap(fromSecrets), certificate };
    };
    const dedicated = `tessera-worker-${developmentDedicatedTenant}`;
    expect(credentials(worker(dedicated))).toEqual({
      secretKeys: [`DATABASE_URL from ${dedicated}`, `REDIS_URL from ${dedicated}`],
      init: [`DATABASE_URL from ${dedicated}`],
      certificate: `${dedicated}-tls`,
    });
    expect(credentials(worker('tessera-worker'))).toEqual({
      secretKeys: ['DATABASE_URL from tessera-worker', 'REDIS_URL from tessera-worker', 'SERVICE_KEY from tessera-worker'],
      init: ['DATABASE_URL from tessera-worker'],
      certificate: 'tessera-workers-tls',
    });
    // Its database account is its tenant's own (tessera_workers_<tenant>), not the shared pool's tessera_workers.
    const databaseUser = (secret: string) => {
      const found = byKind('development', 'Secret').find((s) => unsuffixed(s.metadata.name) === secret)!;
      return new URL(Buffer.from(found.data!['DATABASE_URL']!, 'base64').toString('utf8')).username;
    };
    expect(databaseUser(dedicated)).toBe(dedicatedWorkerAccountUser(developmentDedicatedTenant));
    expect(databaseUser('tessera-worker')).toBe('tessera_workers');
    const tls = byKind('development', 'Secret').find((secret) => secret.metadata.name.replace(/-[a-z0-9]{10}$/, '') === `${dedicated}-tls`)!;
    const cert = new X509Certificate(Buffer.from(tls.data!['cert.pem']!, 'base64'));
    expect(cert.subject).toContain(`CN=${developmentDedicatedWorkerIdentity}`);
    expect(cert.checkIssued(new X509Certificate(Buffer.from(tls.data!['ca.pem']!, 'base64')))).toBe(true);
  });

  it("gives each worker a certificate naming the region whose jobs it runs (the ports serve it that region's tenants only)", () => {
    const secretCert = (secret: string) => {
      const found = byKind('development', 'Secret').find((s) => s.metadata.name.replace(/-[a-z0-9]{10}$/, '') === secret)!;
      return new X509Certificate(Buffer.from(found.data!['cert.pem']!, 'base64'));
    };
    const shared = secretCert('tessera-workers-tls');
    expect(shared.subject).toContain('CN=workers');
    // The shared pool's Deployment runs the home region's ring, and its certificate names that region.
    expect(podLabels(workloads('development').find((w) => w.metadata.name === 'tessera-worker')!)['tessera.dev/worker-pool']).toBe(`shared-${developmentWorkerRegion}`);
    expect(certificateRegion(shared.toString())).toBe(developmentWorkerRegion);
    expect(certificateRegion(secretCert(`tessera-worker-${developmentDedicatedTenant}-tls`).toString())).toBe(developmentWorkerRegion);
  });
});

describe('deploy/kubernetes base/selftest (the self-test Job)', () => {
  const render = (dir: string) => parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((doc) => doc.toJSON() as Manifest);
  const selftest = () => render(join(workDir, 'base', 'selftest'));
  const jobOf = (manifests: Manifest[]) => manifests.find((m) => m.kind === 'Job' && m.metadata.name === 'tessera-selftest')!;

  it('is valid against the Kubernetes schemas, runs the image entrypoint (`tessera selftest`) from a pinned image', () => {
    const manifests = selftest();
    expect(validate(manifests).filter((r) => r.error !== null)).toEqual([]);
    const container = jobOf(manifests).spec.template.spec.containers[0];
    // The runtime image holds the compiled main only: no tsx, no TypeScript sources (Dockerfile).
    expect(container.command).toBeUndefined();
    expect(container.args[0]).toBe('selftest');
    expect({ image: container.image, pinned: imagePinned(container.image) }).toEqual({ image: container.image, pinned: true });
  });

  it('runs with the hardened security context, requests and limits, and a bounded /tmp like every other pod', () => {
    const pod = jobOf(selftest()).spec.template.spec;
    // Its credentials are a Secret volume: uid 1000 must be able to read them.
    expect(unreadableSecretVolumes(pod)).toEqual([]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number), seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of pod.containers) {
      expect({ requests: Object.keys(c.resources?.requests ?? {}).filter((k) => k !== 'ephemeral-storage').sort(), limits: Object.keys(c.resources?.limits ?? {}).sort() }).toEqual({ requests: ['cpu', 'memory'], limits: ['cpu', 'memory'] });
      expect(c.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
    const disks = pod.volumes.filter((v: any) => v.emptyDir);
    for (const v of disks) expect({ volume: v.name, sizeLimit: v.emptyDir.sizeLimit !== undefined }).toEqual({ volume: v.name, sizeLimit: true });
    const requested = pod.containers.reduce((sum: number, c: any) => sum + quantityBytes(c.resources?.requests?.['ephemeral-storage'] ?? 0), 0);
    expect(requested).toBeGreaterThanOrEqual(disks.reduce((sum: number, v: any) => sum + quantityBytes(v.emptyDir.sizeLimit), 0));
  });

  it("listed in an overlay (README: the overlays' namespace, default deny), may still resolve and reach the public URL on 443 and 80, never the metadata endpoint", () => {
    const dir = mkdtempSync(join(workDir, 'with-selftest-'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../overlays/production\n  - ../base/selftest\n');
    const manifests = render(dir);
    const labels = jobOf(manifests).spec.template.metadata.labels;
    const egress = manifests
      .filter((m) => m.kind === 'NetworkPolicy' && (m.spec.policyTypes ?? []).includes('Egress') && matches(m.spec.podSelector, labels))
      .flatMap((m) => m.spec.egress ?? []);
    const allows = (port: number, protocol = 'TCP') => egress.filter((rule: any) => (rule.ports ?? []).some((p: any) => p.port === port && (p.protocol ?? 'TCP') === protocol));
    expect(allows(53, 'UDP').length).toBeGreaterThan(0);
    for (const port of [443, 80]) {
      const peers = allows(port).flatMap((rule: any) => rule.to ?? []);
      expect({ port, any: peers.some((peer: any) => peer.ipBlock?.cidr === '0.0.0.0/0') }).toEqual({ port, any: true });
      for (const peer of peers) expect({ port, peer, metadataExcluded: (peer.ipBlock?.except ?? []).includes('169.254.0.0/16') }).toEqual({ port, peer, metadataExcluded: true });
    }
    // Nothing admits connections to it.
    const ingress = manifests.filter((m) => m.kind === 'NetworkPolicy' && matches(m.spec.podSelector, labels)).flatMap((m) => m.spec.ingress ?? []);
    expect(ingress).toEqual([]);
  });
});

/**
 * What Pod Security Admission's `restricted` profile refuses in a pod spec (the checks of the
 * Kubernetes "Pod Security Standards" page): host namespaces and ports, privileged containers,
 * volume types beyond the listed ones, privilege escalation, root, a seccomp profile other than
 * RuntimeDefault/Localhost, capabilities not dropped (ALL) or added beyond NET_BIND_SERVICE.
 */
function restrictedViolations(name: string, pod: any): string[] {
  const found: string[] = [];
  const allowedVolumes = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) found.push(`${name}: host namespace`);
  for (const v of pod.volumes ?? []) for (const type of Object.keys(v).filter((k) => k !== 'name')) if (!allowedVolumes.has(type)) found.push(`${name}: volume ${v.name} is ${type}`);
  const podSc = pod.securityContext ?? {};
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const sc = c.securityContext ?? {};
    const id = `${name}/${c.name}`;
    if (sc.privileged) found.push(`${id}: privileged`);
    if ((c.ports ?? []).some((p: any) => p.hostPort)) found.push(`${id}: hostPort`);
    if (sc.allowPrivilegeEscalation !== false) found.push(`${id}: allowPrivilegeEscalation not false`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) found.push(`${id}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) found.push(`${id}: runAsUser 0`);
    const seccomp = (sc.seccompProfile ?? podSc.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') found.push(`${id}: seccomp ${seccomp}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) found.push(`${id}: capabilities not dropped`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') found.push(`${id}: adds ${cap}`);
  }
  return found;
}

describe('deploy/kubernetes production namespace: Pod Security Admission', () => {
  it("declares the overlay's namespace enforcing the restricted profile, and every pod it renders (the self-test Job beside it too) meets that profile", () => {
    const namespaces = byKind('production', 'Namespace');
    const namespaceOfWorkloads = new Set(workloads('production').map((w: any) => w.metadata.namespace));
    expect([...namespaceOfWorkloads]).toEqual(['tessera']);
    expect(namespaces.map((n) => ({ name: n.metadata.name, enforce: n.metadata.labels?.['pod-security.kubernetes.io/enforce'] }))).toEqual([{ name: 'tessera', enforce: 'restricted' }]);
    const dir = mkdtempSync(join(workDir, 'psa-'));
    writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../overlays/production\n  - ../base/selftest\n');
    const manifests = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((doc) => doc.toJSON() as Manifest);
    const pods = manifests.filter((m) => ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(m.kind)).map((m) => ({ name: `${m.kind}/${m.metadata.name}`, pod: m.spec.template.spec }));
    expect(pods.length).toBeGreaterThan(8);
    expect(pods.flatMap(({ name, pod }) => restrictedViolations(name, pod))).toEqual([]);
  });

  it('the check refuses what the profile refuses', () => {
    const good = { securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } }, containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] };
    expect(restrictedViolations('good', good)).toEqual([]);
    expect(restrictedViolations('p', { ...good, hostNetwork: true })).toEqual(['p: host namespace']);
    expect(restrictedViolations('p', { ...good, volumes: [{ name: 'h', hostPath: { path: '/' } }] })).toEqual(['p: volume h is hostPath']);
    expect(restrictedViolations('p', { ...good, containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }] })).toEqual(['p/c: adds SYS_ADMIN']);
    expect(restrictedViolations('p', { ...good, securityContext: { runAsNonRoot: true, runAsUser: 1000 } })).toEqual(['p/c: seccomp undefined']);
  });
});
