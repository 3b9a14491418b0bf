import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { freePort } from './free-port';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serviceUserPolicy, signRequest, tenantRolePolicy, tenantRoleTrustPolicy, type SigV4Key } from '@tessera/storage';

const execFileAsync = promisify(execFile);
/** Every admin step has a deadline: a cluster that does not come up fails the test, not hangs it. */
const run = (command: string, args: string[]) => execFileAsync(command, args, { timeout: 60_000 });

/**
 * A one-node Ceph cluster (monitor, memstore OSD, RADOS Gateway) in a temporary folder, for the tests
 * where access policies are the point. s3rver accepts any valid signature for any bucket; RGW
 * implements IAM users, roles, STS AssumeRole with session policies and identity policies, so
 * "credentials for tenant A are refused on B's bucket" is tested against a store that refuses.
 * Installed from Debian (`apt-get install radosgw ceph-mon ceph-osd`); starts in about 10 s.
 */
export interface CephGatewayOptions {
  /** Prefix of the tenant buckets the role may reach (`<prefix>-*`). */
  bucketPrefix: string;
  /** Start the gateway under libfaketime so a test can move its clock (credential expiry). */
  controllableClock?: boolean;
  /**
   * RGW's server certificate (the local CA's `s3` leaf, which names 127.0.0.1) and the CA file:
   * the gateway listens with TLS only (beast `ssl_endpoint`), like the other local stores.
   */
  tls: { caFile: string; certFile: string; keyFile: string };
}

export interface StoreKey {
  accessKey: string;
  secretKey: string;
}

export interface RunningCephGateway {
  /** https://127.0.0.1:<port>: clients trust `tlsCaFile` (OBJECT_STORE_TLS_CA_FILE). */
  endpoint: string;
  tlsCaFile: string;
  region: string;
  /** The platform service's base key: may assume the tenant role; denied every tenant bucket. */
  service: StoreKey;
  /** A key for test setup and inspection (owns no tenant bucket; used for IAM calls). */
  admin: StoreKey;
  roleArn: string;
  /**
   * Runs `radosgw-admin` (or `rados`) against this cluster and answers its stdout: what the gateway
   * holds, seen past every S3 policy (a bucket's index, incomplete uploads, RADOS objects).
   */
  adminCommand(command: 'radosgw-admin' | 'rados', ...args: string[]): Promise<string>;
  /** Moves the gateway's clock (only with `controllableClock`); it stays within SigV4's 15-minute skew by design of the caller. */
  setClockOffsetSeconds(seconds: number): void;
  close(): Promise<void>;
}

export const cephBinaries = ['/usr/bin/ceph-mon', '/usr/bin/ceph-osd', '/usr/bin/radosgw', '/usr/bin/radosgw-admin', '/usr/bin/monmaptool'];
export const libfaketimePath = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

export function cephGatewayAvailable(): boolean {
  return cephBinaries.every((path) => existsSync(path));
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number, tls: CephGatewayOptions['tls']): string {
  return `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
mon initial members = a
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0
osd crush update on start = false
osd class update on start = false
osd objectstore = memstore
memstore device bytes = 536870912
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
pid file = ${dir}/run/$name.pid
mon data = ${dir}/mon/$name
osd data = ${dir}/osd/$name
keyring = /dev/null
[client.rgw.a]
rgw frontends = beast ssl_endpoint=127.0.0.1:${rgwPort} ssl_certificate=${tls.certFile} ssl_private_key=${tls.keyFile}
rgw sts key = ${randomBytes(8).toString('hex')}
rgw s3 auth use sts = true
rgw data = ${dir}/rgw
`;
}

export async function startCephGateway(options: CephGatewayOptions): Promise<RunningCephGateway> {
  if (!cephGatewayAvailable()) throw new Error(`Ceph RGW is not installed (need ${cephBinaries.join(', ')}; apt-get install radosgw ceph-mon ceph-osd)`);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-rgw-'));
  for (const sub of ['run', 'log', 'mon', 'osd/osd.0', 'rgw']) mkdirSync(join(dir, sub), { recursive: true });
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort, options.tls));
  const ca = readFileSync(options.tls.caFile, 'utf8');
  const clockFile = join(dir, 'clock');
  writeFileSync(clockFile, '+0\n');
  const children: ChildProcess[] = [];
  const daemon = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(command, ['-c', conf, '-f', ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
    children.push(child);
    return child;
  };
  const close = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (!process.env["TESSERA_KEEP_RGW_DIR"]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('monmaptool', ['--create', '--add', 'a', `v1:127.0.0.1:${monPort}`, '--fsid', fsid, join(dir, 'monmap')]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    daemon('ceph-mon', ['-i', 'a']);
    await monitorCommand(() => run('ceph', ['-c', conf, '--connect-timeout', '30', 'osd', 'create']));
    // Placed by us rather than by the OSD at start-up: its own placement command races its first
    // monitor map and is sometimes refused ('wrong fsid'), leaving the OSD down.
    // The monitor can still refuse a command right after the first one succeeded (EPERM, 'problem
    // getting command descriptions'): retried like the first.
    await monitorCommand(() => run('ceph', ['-c', conf, 'osd', 'crush', 'add', 'osd.0', '1.0', 'host=localhost', 'root=default']));
    await run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs']);
    daemon('ceph-osd', ['-i', '0']);
    const clockEnv = options.controllableClock
      ? { LD_PRELOAD: libfaketimePath, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_RESET: '1' }
      : {};
    if (options.controllableClock && !existsSync(libfaketimePath)) throw new Error(`libfaketime is not installed (${libfaketimePath}; apt-get install libfaketime)`);
    daemon('radosgw', ['-n', 'client.rgw.a'], clockEnv);

    const admin = async (...args: string[]) => (await run('radosgw-admin', ['-c', conf, ...args])).stdout;
    const service: StoreKey = { accessKey: `svc${randomBytes(8).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
    const adminKey: StoreKey = { accessKey: `adm${randomBytes(8).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
    await admin('user', 'create', '--uid=tessera-service', '--display-name=tessera service', `--access-key=${service.accessKey}`, `--secret-key=${service.secretKey}`);
    await admin('user', 'create', '--uid=tessera-admin', '--display-name=tessera test admin', `--access-key=${adminKey.accessKey}`, `--secret-key=${adminKey.secretKey}`, '--caps=user-policy=*;roles=*;users=*');
    const roleName = 'tessera-tenant-access';
    await admin('role', 'create', `--role-name=${roleName}`, '--path=/', `--assume-role-policy-doc=${JSON.stringify(tenantRoleTrustPolicy('arn:aws:iam:::user/tessera-service'))}`);
    await admin('role-policy', 'put', `--role-name=${roleName}`, '--policy-name=tenant-buckets', `--policy-doc=${JSON.stringify(tenantRolePolicy(options.bucketPrefix))}`);

    const endpoint = `https://127.0.0.1:${rgwPort}`;
    const roleArn = `arn:aws:iam:::role/${roleName}`;
    await waitForHttps(endpoint, ca, 30_000);
    await iamCall(endpoint, ca, adminKey, {
      Action: 'PutUserPolicy',
      UserName: 'tessera-service',
      PolicyName: 'tessera-service',
      PolicyDocument: JSON.stringify(serviceUserPolicy(options.bucketPrefix, roleArn)),
    });
    return {
      endpoint,
      tlsCaFile: options.tls.caFile,
      region: 'us-east-1',
      service,
      admin: adminKey,
      roleArn,
      adminCommand: async (command, ...args) => (await run(command, ['-c', conf, ...args])).stdout,
      setClockOffsetSeconds(seconds: number) {
        if (!options.controllableClock) throw new Error('started without controllableClock');
        writeFileSync(clockFile, `${seconds >= 0 ? '+' : ''}${seconds}\n`);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A monitor that has just started accepts connections a moment before it answers commands: on a
 * busy machine the first command can be refused with EPERM ("problem getting command descriptions").
 * Such a refusal ran nothing, so the command is sent again, for up to 30 s.
 */
async function monitorCommand<T>(command: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await command();
    } catch (error) {
      const refusedBeforeReady = /EPERM|problem getting command descriptions/.test(String(error));
      if (!refusedBeforeReady || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** One HTTPS request that trusts `ca` alone; resolves with the status and body. */
function httpsCall(url: URL, ca: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { method: init.method, headers: init.headers ?? {}, ca, timeout: 2_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(init.body);
  });
}

async function waitForHttps(endpoint: string, ca: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await httpsCall(new URL(endpoint), ca, { method: 'GET' });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`RGW did not answer on ${endpoint} within ${timeoutMs} ms`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** An IAM API call on RGW's endpoint (radosgw-admin cannot set user policies in this release). */
async function iamCall(endpoint: string, ca: string, key: SigV4Key, params: Record<string, string>): Promise<void> {
  const url = new URL('/', endpoint);
  const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
  const headers = signRequest({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body }, key, { region: 'us-east-1', service: 'iam' });
  const response = await httpsCall(url, ca, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body });
  if (response.status < 200 || response.status >= 300) throw new Error(`IAM ${params['Action']} failed: ${response.status} ${response.text}`);
}
