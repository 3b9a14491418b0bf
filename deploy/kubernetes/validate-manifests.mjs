// Validates rendered manifests (a JSON array of objects on stdin) against the Kubernetes API
// schemas (kubernetes-models, and its KEDA and External Secrets packages for those CRDs).
// Prints a JSON array of { kind, name, error }; exits 0 either way (the caller judges).
// ESM-only libraries: run with node, not inside jest (test/kubernetes.test.ts spawns it).
// Each kind's model by its module path (the packages export one module per kind).
const packages = { 'keda.sh': '@kubernetes-models/keda', 'external-secrets.io': '@kubernetes-models/external-secrets' };
async function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group === '' ? `kubernetes-models/${version}/${kind}` : `${packages[group] ?? 'kubernetes-models'}/${group}/${version}/${kind}`;
  try {
    return (await import(path))[kind];
  } catch {
    return undefined;
  }
}

const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
}));
/**
 * kustomize wraps a Secret's base64 at 70 columns, which the API server reads (Go's decoder skips
 * line breaks) and the library's "byte" format refuses: a Secret's data is checked here (base64
 * once line breaks are dropped), and the rest of the object by the schema.
 */
function secretWithCheckedData(object) {
  if (object.kind !== 'Secret' || !object.data) return object;
  for (const [key, value] of Object.entries(object.data)) {
    const joined = typeof value === 'string' ? value.replace(/[\r\n]/g, '') : undefined;
    if (joined === undefined || Buffer.from(joined, 'base64').toString('base64') !== joined) throw new Error(`data/${key} is not base64`);
  }
  return { ...object, data: Object.fromEntries(Object.keys(object.data).map((key) => [key, 'AA=='])) };
}

const results = [];
for (const object of input) {
  const Model = await modelOf(object.apiVersion, object.kind);
  const name = object.metadata?.name;
  if (!Model) {
    results.push({ kind: object.kind, name, error: `no schema for ${object.apiVersion} ${object.kind}` });
    continue;
  }
  try {
    new Model(secretWithCheckedData(object)).validate();
    results.push({ kind: object.kind, name, error: null });
  } catch (error) {
    results.push({ kind: object.kind, name, error: String(error.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
