import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

/**
 * Feeds every chunk of `source` to each sink, going only as fast as the slowest one, and ends the
 * sinks one after the other (in the order given). The first
 * failure (source or any sink) destroys all the sinks with that error, so a rejected CSV also
 * aborts the encrypted upload running beside it. The source itself is left intact (not
 * destroyed): it is the client's request, and the typed error still has to be written back on
 * its socket; the caller drains whatever the client is still sending.
 */
export async function fanOut(source: Readable, sinks: Writable[]): Promise<void> {
  let failed = false;
  const failures = sinks.map((sink) => once(sink, 'error').then(([error]) => Promise.reject(error as Error)));
  failures.forEach((failure) => failure.catch(() => undefined));
  try {
    const copying = (async () => {
      for await (const chunk of source.iterator({ destroyOnReturn: false })) {
        if (failed) return;
        const waits = sinks.filter((sink) => !sink.write(chunk)).map((sink) => once(sink, 'drain'));
        if (waits.length) await Promise.race([Promise.all(waits), ...failures]);
      }
      // In order, each once the one before has finished: the first sink (the CSV check, whose
      // verdict may arrive after the bytes went on) judges the whole file before the next (the
      // storage upload) is told it is complete, so a rejected file is never stored whole.
      for (const sink of sinks) {
        sink.end();
        await Promise.race([once(sink, 'finish'), ...failures]);
      }
    })();
    copying.catch(() => undefined);
    await Promise.race([copying, ...failures]);
  } catch (error) {
    failed = true;
    const reason = error instanceof Error ? error : new Error(String(error));
    for (const sink of sinks) if (!sink.destroyed) sink.destroy(reason);
    throw error;
  }
}
