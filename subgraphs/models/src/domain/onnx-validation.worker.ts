import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { isTesseraError, type ErrorDetails } from '@tessera/errors';
import { validateOnnx } from './onnx-validation';
import type { ValidationJob, ValidationReply } from './onnx-validator';

/**
 * A validation thread of OnnxValidator: decodes and checks one file at a time and hashes it, then
 * hands the file's memory back (transferred both ways, never copied).
 */
parentPort?.on('message', (job: ValidationJob) => {
  const bytes = Buffer.from(job.buffer, 0, job.length);
  let reply: ValidationReply;
  try {
    const info = validateOnnx(bytes);
    reply = { id: job.id, buffer: job.buffer, result: { info, sha256: createHash('sha256').update(bytes).digest('hex') } };
  } catch (error) {
    reply = {
      id: job.id,
      buffer: job.buffer,
      error: isTesseraError(error)
        ? { code: error.code, message: error.message, extensions: { ...error.extensions } as ErrorDetails }
        : { code: 'INTERNAL_SERVER_ERROR', message: error instanceof Error ? (error.stack ?? error.message) : String(error), extensions: {} },
    };
  }
  parentPort?.postMessage(reply, [job.buffer]);
});
