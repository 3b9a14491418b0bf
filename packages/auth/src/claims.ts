/** Reads a claim by dotted path, so Keycloak's `realm_access.roles` works as well as a flat `roles`. */
export function readClaim(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  let current: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
