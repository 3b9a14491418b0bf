import { MODEL_PROTO_FIELD_NUMBERS } from './onnx-schema';
import { OnnxValidationError } from './onnx-validation-error';

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
/** ModelProto fields that are varints (ir_version, model_version); every other known field is length-delimited. */
const VARINT_FIELDS: ReadonlySet<number> = new Set([1, 5]);
/** Every ONNX writer emits ir_version (field 1, varint) first: the tag byte 0x08. */
const IR_VERSION_TAG = 0x08;

class PastEndOfFile extends Error {}

/**
 * Walks the top level of the protobuf wire format before decoding. Protobuf decoders are lenient
 * (unknown fields are skipped, so a text file can "decode" into an empty message); requiring every
 * top-level field to be a known ModelProto field with the right wire type rejects such files, and
 * a length that runs past the end tells a truncated model apart from garbage.
 */
export function checkModelWireFormat(bytes: Uint8Array): void {
  const startsLikeModel = bytes[0] === IR_VERSION_TAG;
  let pos = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= bytes.length) throw new PastEndOfFile();
      const byte = bytes[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw notOnnx('malformed varint');
  };
  try {
    while (pos < bytes.length) {
      const tag = readVarint();
      const field = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (!MODEL_PROTO_FIELD_NUMBERS.has(field)) throw notOnnx(`unexpected top-level field ${field} at byte ${pos}`);
      const expectedWire = VARINT_FIELDS.has(field) ? WIRE_VARINT : WIRE_LENGTH_DELIMITED;
      if (wireType !== expectedWire) throw notOnnx(`field ${field} has wire type ${wireType}, expected ${expectedWire}`);
      if (wireType === WIRE_VARINT) {
        readVarint();
      } else {
        const length = readVarint();
        if (pos + length > bytes.length) throw new PastEndOfFile();
        pos += length;
      }
    }
  } catch (error) {
    if (!(error instanceof PastEndOfFile)) throw error;
    if (startsLikeModel) {
      throw new OnnxValidationError('TRUNCATED', `the ONNX file is truncated: a field runs past the end of its ${bytes.length} bytes`);
    }
    throw notOnnx('a field runs past the end of the file');
  }
}

function notOnnx(detail: string): OnnxValidationError {
  return new OnnxValidationError('NOT_ONNX', `the file is not an ONNX model (${detail})`);
}
