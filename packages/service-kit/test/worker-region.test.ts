import { certificateRegion, regionOfSubjectAltName, workerRegionUri } from '../src/ports/worker-region';

/** A worker certificate names its region in one URI SAN; anything else names none. */
describe('worker region: read from the certificate', () => {
  it('reads the one region a subjectAltName names', () => {
    expect(regionOfSubjectAltName(`URI:${workerRegionUri('eu-west-1')}, DNS:workers, DNS:localhost, IP Address:127.0.0.1`)).toBe('eu-west-1');
  });

  it('names none without a region URI, with two of them, or with one that is not a region name', () => {
    expect(regionOfSubjectAltName(undefined)).toBeUndefined();
    expect(regionOfSubjectAltName('DNS:workers, DNS:localhost')).toBeUndefined();
    expect(regionOfSubjectAltName(`URI:${workerRegionUri('eu-west-1')}, URI:${workerRegionUri('us-east-1')}, DNS:workers`)).toBeUndefined();
    expect(regionOfSubjectAltName('URI:urn:tessera:region:EU_WEST, DNS:workers')).toBeUndefined();
    // A DNS name that looks like the URI is not one.
    expect(regionOfSubjectAltName('DNS:urn:tessera:region:eu-west-1')).toBeUndefined();
    expect(() => workerRegionUri('eu west')).toThrow(/not a region name/);
  });
});
