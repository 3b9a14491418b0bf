/** The server's rule for dataset and model names, checked before sending. */
export function nameProblem(name: string): string | undefined {
  if (!name.trim()) return 'A name is required.';
  if (name.length > 128) return 'At most 128 characters.';
  if (!/^[A-Za-z0-9 ._-]+$/.test(name)) return "Only letters, digits, space, '.', '_' and '-'.";
  return undefined;
}
