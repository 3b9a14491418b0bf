import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

/**
 * Feeds every chunk of `source` to each sink, going only as fast as the slowest one. The first
 * failure (source or any sink) destroys all of them with that error, so a rejected CSV also
 * aborts the encrypted upload running beside it.
 */
export async function fanOut(source: Readable, sinks: Writable[]): Promise<void> {
  const failures = sinks.map((sink) => once(sink, 'error').then(([error]) => Promise.reject(error as Error)));
  failures.forEach((failure) => failure.catch(() => undefined));
  const abortAll = (error: Error) => {
    for (const sink of sinks) if (!sink.destroyed) sink.destroy(error);
    if (!source.destroyed) source.destroy(error);
  };
  try {
    const copying = (async () => {
      for await (const chunk of source) {
        const waits = sinks.filter((sink) => !sink.write(chunk)).map((sink) => once(sink, 'drain'));
        if (waits.length) await Promise.race([Promise.all(waits), ...failures]);
      }
      for (const sink of sinks) sink.end();
    })();
    await Promise.race([copying, ...failures]);
  } catch (error) {
    abortAll(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
