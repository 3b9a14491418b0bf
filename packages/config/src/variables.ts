import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Reusable variable shapes, so every service spells the same thing the same way. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const url = () => z.string().url();

/** The longest delay a Node timer honours; a longer one fires after 1 ms, which for an interval means a loop. */
export const maxTimerMs = 2_147_483_647;

/** A duration in milliseconds that a timer or an interval will use: whole, at least `min`, at most a timer's range. */
export const milliseconds = (fallback: number, min = 0) => z.coerce.number().int().min(min).max(maxTimerMs).default(fallback);

export const commaList = () =>
  z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

/** A 32-byte key given as base64. */
export const base64Key32 = () =>
  z.string().refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded');

/** A JSON Web Key given as a JSON string (used for the gateway's internal-context keys). */
export const jsonWebKey = () =>
  z.string().transform((value, ctx) => {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'object' && parsed !== null && 'kty' in parsed) return parsed as Record<string, unknown> & { kty: string };
    } catch {
      // fall through to the issue below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a JSON Web Key (JSON object with "kty")' });
    return z.NEVER;
  });

/** A JSON array of public JSON Web Keys (no private "d"), e.g. retired signing keys that still verify. */
export const publicJsonWebKeys = () =>
  z.string().transform((value, ctx) => {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((key) => typeof key === 'object' && key !== null && 'kty' in key && !('d' in key))) {
        return parsed as Array<Record<string, unknown> & { kty: string }>;
      }
    } catch {
      // fall through to the issue below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of public JSON Web Keys (objects with "kty" and without "d")' });
    return z.NEVER;
  });

export const tracingExporter = () => z.enum(['otlp', 'console', 'none']).default('none');

export const logLevel = () => z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info');

/** A path to a PEM file (a CA certificate), given as its contents: read once, when the environment is parsed. */
export const pemFile = () =>
  z.string().min(1).transform((path, ctx) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as Error).message}` });
      return z.NEVER;
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate` });
      return z.NEVER;
    }
    return text;
  });
