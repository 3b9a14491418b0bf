import { join } from 'node:path';

export const repositoryRoot = join(__dirname, '..', '..');
export const consoleRoot = join(repositoryRoot, 'console');
