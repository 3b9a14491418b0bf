import NodeEnvironment from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';

/**
 * Jest runs each test file in its own VM context with its own typed-array constructors, while
 * onnxruntime-node's native addon creates output arrays in Node's main context. onnxruntime-common
 * (loaded inside the test context) then rejects every output with "A float32 tensor's data must be
 * type of function Float32Array()". Sharing the main context's typed-array constructors makes
 * `instanceof` agree again. Opt in per test file with the docblock
 * `@jest-environment ./packages/onnx/test/onnxruntime-environment.ts` (path from the repo root).
 */
const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer',
] as const;

export default class OnnxRuntimeEnvironment extends NodeEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const sandbox = this.global as unknown as Record<string, unknown>;
    const main = globalThis as unknown as Record<string, unknown>;
    for (const name of TYPED_ARRAYS) sandbox[name] = main[name];
  }
}
