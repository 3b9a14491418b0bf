/**
 * onnxruntime's messages describe the caller's own model and are worth passing on, but many carry
 * where in onnxruntime's C++ sources they were raised: the build machine's path, a line number and
 * the function's signature (`/onnxruntime_src/onnxruntime/core/graph/graph.cc:1555 void
 * onnxruntime::Graph::…() This is an invalid model…`). That says nothing to the client and tells
 * it which runtime build serves it, so it is cut; what the message says about the model is kept.
 */
const SOURCE_FILE = String.raw`(?:/[^\s:]*/)?[\w.+-]+\.(?:cc|cpp|cxx|c|h|hpp|cu)`;
/** Optional return type words, then a (qualified) name and its parameter list: `void a::B::c(const d&)`. */
const SIGNATURE = String.raw`(?:[\w:<>*&]+\s+){0,3}?[\w:<>~]+\([^()]*\)(?:\s*const)?`;
/** A bare function name with no parameter list (`tensorprotoutils.cc:1540 ValidateEmbedded… Initializer 'w'…`). */
const BARE_NAME = String.raw`[A-Za-z_][\w:]*(?=\s)`;
const SOURCE_LOCATION = new RegExp(String.raw`${SOURCE_FILE}:\d+(?:\s+(?:${SIGNATURE}|${BARE_NAME}))?\s*`, 'g');
/** ORT's status prefix (`[ONNXRuntimeError] : 1 : FAIL : `): a code the client cannot use. */
const STATUS_PREFIX = /\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/g;
/** Any other absolute path of two or more segments. */
const ABSOLUTE_PATH = /(?<![\w.])\/(?:[\w.+-]+\/)+[\w.+-]*/g;
/** Terminal colour codes ORT's logger may leave in a message. */
const ANSI = /\u001b\[[0-9;]*m/g;

export function sanitizeRuntimeMessage(message: string): string {
  return message
    .replace(ANSI, '')
    .replace(SOURCE_LOCATION, '')
    .replace(STATUS_PREFIX, '')
    .replace(ABSOLUTE_PATH, '…')
    .replace(/\s+/g, ' ')
    .trim();
}
