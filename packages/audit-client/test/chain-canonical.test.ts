import { createHash } from 'node:crypto';
import { canonicalEvent, canonicalJson, chainHash, eventColumns, genesisHash } from '../src/chain-canonical';

const event = {
  id: '5f0c7a52-3d1e-4a43-9a43-2a3d3c3b1e01',
  occurred_at: new Date('2026-11-25T21:00:00.123Z'),
  actor_subject: 'alice@example.test',
  actor_roles: 'admin',
  actor_client: null,
  action: 'dataset.create',
  target_type: 'Dataset',
  target_id: 'd-1',
  outcome: 'SUCCESS',
  request_id: 'req-1',
  trace_id: null,
  source_ip: '192.0.2.7',
  details_json: '{"rows":3,"name":"iris"}',
};

describe('canonical form of a chained event', () => {
  it('sorts keys at every depth and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('is the same whatever form the driver returned: Date or DATETIME text, JSON text or parsed object, any column order', () => {
    const reference = canonicalEvent('tenant:acme', 7, event, eventColumns);
    const asText = { ...event, occurred_at: '2026-11-25 21:00:00.123', details_json: { name: 'iris', rows: 3 } };
    const reordered = Object.fromEntries(Object.entries(asText).reverse());
    expect(canonicalEvent('tenant:acme', 7, reordered, eventColumns)).toBe(reference);
  });

  it('binds the chain and the position: another tenant or another sequence number gives another hash', () => {
    const hash = chainHash(genesisHash, canonicalEvent('tenant:acme', 1, event, eventColumns));
    expect(chainHash(genesisHash, canonicalEvent('tenant:other', 1, event, eventColumns))).not.toBe(hash);
    expect(chainHash(genesisHash, canonicalEvent('tenant:acme', 2, event, eventColumns))).not.toBe(hash);
    expect(chainHash('1'.repeat(64), canonicalEvent('tenant:acme', 1, event, eventColumns))).not.toBe(hash);
  });

  it('is stable: a fixed event always hashes to the same value (changing the format would orphan every stored chain)', () => {
    const canonical = canonicalEvent('tenant:acme', 1, event, eventColumns);
    expect(canonical).toBe(
      '{"action":"dataset.create","actor_client":null,"actor_roles":"admin","actor_subject":"alice@example.test","chain":"tenant:acme",' +
        '"details_json":{"name":"iris","rows":3},"id":"5f0c7a52-3d1e-4a43-9a43-2a3d3c3b1e01","occurred_at":"2026-11-25T21:00:00.123Z",' +
        '"outcome":"SUCCESS","request_id":"req-1","seq":1,"source_ip":"192.0.2.7","target_id":"d-1","target_type":"Dataset","trace_id":null}',
    );
    // SHA-256(prev_hash ‖ "\n" ‖ canonical), hex: pinned, so neither the form nor the separator can drift.
    expect(chainHash(genesisHash, canonical)).toBe('6a55f2f5beb4f2cb282c47bfc58d01f567460d88ef27bfa0a4edc70203ea4f8d');
    expect(createHash('sha256').update(`${genesisHash}\n${canonical}`).digest('hex')).toBe('6a55f2f5beb4f2cb282c47bfc58d01f567460d88ef27bfa0a4edc70203ea4f8d');
  });

  it('hashes the writing account when it is recorded, and keeps the form of events written before writers were recorded', () => {
    const before = canonicalEvent('tenant:acme', 1, event, eventColumns);
    // An event chained before the column existed reads back with written_by NULL: same form, same hash.
    expect(canonicalEvent('tenant:acme', 1, { ...event, written_by: null }, eventColumns)).toBe(before);
    const written = canonicalEvent('tenant:acme', 1, { ...event, written_by: 'tessera_datasets@127.0.0.1' }, eventColumns);
    expect(written).toContain('"written_by":"tessera_datasets@127.0.0.1"');
    // Naming another writer, or clearing the one recorded, gives another hash.
    expect(chainHash(genesisHash, canonicalEvent('tenant:acme', 1, { ...event, written_by: 'tessera_metrics@127.0.0.1' }, eventColumns))).not.toBe(chainHash(genesisHash, written));
    expect(chainHash(genesisHash, before)).not.toBe(chainHash(genesisHash, written));
  });

  it('refuses values that have no single JSON form', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
  });
});
