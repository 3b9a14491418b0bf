// Jest's module runtime, keeping V8's code cache of each module it compiles.
//
// Jest evaluates every module anew for each test file (a registry per file), and compiles each
// one with vm.compileFunction: with some 3 000 modules behind a test stack (Apollo, TypeORM, the
// services), compiling was about a second of CPU in every integration file (a third of that with
// the cache; about 0.3 s net of hashing and reading the entries). V8 can reuse the
// compiled form of an unchanged source in any context; this runtime keeps it on disk, keyed by
// the source's hash, and hands it back the next time. Anything unexpected falls back to Jest's own
// compile: a missing, unreadable or rejected cache costs only the compile it would have saved.
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
  const file = cacheFile(scriptSource, parameters);
  const stored = readCache(file);
  const cachedData = stored && stored.length > 0 ? stored : undefined;
  try {
    const compiled = compileFunction(scriptSource, parameters, {
      filename,
      parsingContext: vmContext,
      ...(cachedData ? { cachedData } : { produceCachedData: true }),
      importModuleDynamically: (specifier, _function, importAttributes, ...rest) => executor.dynamicImport(specifier, filename, vmContext, importAttributes, rest[0]),
    });
    if (!cachedData && compiled.cachedData) writeCache(file, compiled.cachedData);
    // Emptied, so that the next compile of this source makes a fresh one.
    if (cachedData && compiled.cachedDataRejected) writeCache(file, Buffer.alloc(0));
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
  constructor(...args) {
    super(...args);
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
