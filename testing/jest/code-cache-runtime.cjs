// Jest's module runtime, keeping V8's code cache of each module it compiles and, within one worker
// process, the sources and caches it has already read.
//
// Jest evaluates every module anew for each test file (a registry per file), and compiles each
// one with vm.compileFunction: with some 3 000 modules behind a test stack (Apollo, TypeORM, the
// services), compiling was about a second of CPU in every integration file (a third of that with
// the cache; about 0.3 s net of hashing and reading the entries). V8 can reuse the
// compiled form of an unchanged source in any context; this runtime keeps it on disk, keyed by
// the source's hash, and hands it back the next time. Anything unexpected falls back to Jest's own
// compile: a missing, unreadable or rejected cache costs only the compile it would have saved.
//
// A Jest worker runs many test files one after another, and each read every module's source and
// cache entry again (and hashed every source to find its entry): about 0.3 s of CPU per file, most
// of it in system calls. Installed packages (node_modules) do not change during a run, so the
// worker keeps their sources in memory (the project's own files are read each time: `jest --watch`
// reruns after edits), and each compiled source's cache entry, reused only for the identical text.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { compileFunction } = require('node:vm');
const Runtime = require('jest-runtime').default;

// V8's cache is only valid for the V8 that made it: one directory per Node version and architecture.
const cacheDirectory = join(tmpdir(), `tessera-jest-v8-cache-${process.getuid ? process.getuid() : 0}`, `${process.version}-${process.arch}`);
let directoryReady = false;
// Entries are never updated in place (a changed source gets a new one), so the directory only
// grows: past this many entries (about five times one full set) it is emptied and refilled.
const maxEntries = 20_000;

function pruneIfOverfull() {
  try {
    if (readdirSync(cacheDirectory).length > maxEntries) rmSync(cacheDirectory, { recursive: true, force: true });
  } catch {
    // no directory yet
  }
}

/** filename -> { source, cachedData } of the last compile of that file in this process. */
const compiledInThisProcess = new Map();

/** Sources read in this process, for files a test run does not change (shared by every test file's runtime). */
const unchangingSources = new Map();
const unchangingPath = /[\\/]node_modules[\\/]/;

/**
 * Jest's per-file source map (filename -> source), answering from and adding to this process's
 * sources for unchanging files; anything else stays per test file, as in Jest.
 */
class SourcesWithProcessCache extends Map {
  get(filename) {
    const own = super.get(filename);
    if (own !== undefined || !unchangingPath.test(filename)) return own;
    return unchangingSources.get(filename);
  }
  has(filename) {
    return super.has(filename) || (unchangingPath.test(filename) && unchangingSources.has(filename));
  }
  set(filename, source) {
    if (unchangingPath.test(filename)) unchangingSources.set(filename, source);
    return super.set(filename, source);
  }
}

function cacheFile(scriptSource, parameters) {
  return join(cacheDirectory, createHash('sha256').update(parameters.join(',')).update('\0').update(scriptSource).digest('hex'));
}

function readCache(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file, data) {
  try {
    if (!directoryReady) {
      mkdirSync(cacheDirectory, { recursive: true });
      directoryReady = true;
    }
    // Written aside and renamed: two Jest workers may write the same entry at once.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, data);
    renameSync(partial, file);
  } catch {
    // a cache that cannot be written is only a cache not kept
  }
}

/** Jest's compile of a CommonJS module, with the code cache: `jestCompile` for what it does not cover. */
function compileWithCache(executor, jestCompile, scriptSource, filename) {
  const vmContext = executor.environment.getVmContext();
  if (vmContext == null || executor.resolution.isCoreModule(filename)) return jestCompile(scriptSource, filename);
  const parameters = executor.injectedModuleParameters;
  const key = `${parameters.join(',')}\0${filename}`;
  const remembered = compiledInThisProcess.get(key);
  // Same file, same text (a string compare, far cheaper than hashing it): the entry this process already has.
  const known = remembered && remembered.source === scriptSource ? remembered.cachedData : undefined;
  let file;
  let cachedData = known;
  if (!cachedData) {
    file = cacheFile(scriptSource, parameters);
    const stored = readCache(file);
    cachedData = stored && stored.length > 0 ? stored : undefined;
  }
  try {
    const compiled = compileFunction(scriptSource, parameters, {
      filename,
      parsingContext: vmContext,
      ...(cachedData ? { cachedData } : { produceCachedData: true }),
      importModuleDynamically: (specifier, _function, importAttributes, ...rest) => executor.dynamicImport(specifier, filename, vmContext, importAttributes, rest[0]),
    });
    if (!cachedData && compiled.cachedData) {
      writeCache(file, compiled.cachedData);
      compiledInThisProcess.set(key, { source: scriptSource, cachedData: compiled.cachedData });
    } else if (cachedData && compiled.cachedDataRejected) {
      // Emptied, so that the next compile of this source makes a fresh one.
      writeCache(file ?? cacheFile(scriptSource, parameters), Buffer.alloc(0));
      compiledInThisProcess.delete(key);
    } else if (cachedData && !known) {
      compiledInThisProcess.set(key, { source: scriptSource, cachedData });
    }
    return compiled;
  } catch {
    // Jest's own compile reports a syntax error the way Jest users expect.
    return jestCompile(scriptSource, filename);
  }
}

/**
 * Jest compiles CommonJS modules in its runtime's module executor; this runtime puts the cache in
 * front of that one method. An executor without it (another Jest) is left as it is: no cache.
 */
let pruned = false;

class CodeCacheRuntime extends Runtime {
  constructor(config, environment, resolver, transformer, cacheFS, ...rest) {
    // Jest hands each test file a fresh map of the sources it reads; this one also remembers unchanging files across files.
    const sources = cacheFS instanceof Map ? new SourcesWithProcessCache(cacheFS) : cacheFS;
    super(config, environment, resolver, transformer, sources, ...rest);
    if (!pruned) {
      pruned = true;
      pruneIfOverfull();
    }
    const executor = this.executor;
    if (executor && typeof executor.compile === 'function' && executor.environment && executor.resolution && Array.isArray(executor.injectedModuleParameters)) {
      const jestCompile = executor.compile.bind(executor);
      executor.compile = (scriptSource, filename) => compileWithCache(executor, jestCompile, scriptSource, filename);
    }
  }
}

module.exports = CodeCacheRuntime;
