/**
 * Index of the first byte sequence in `bytes[from..]` that is not valid UTF-8 (same rules as the
 * WHATWG decoder: no overlongs, no surrogates, nothing above U+10FFFF), or -1 if there is none.
 * A sequence cut off by the end of `bytes` counts as invalid only when `atEnd` is true.
 * Only used to say *where* a file stops being UTF-8, after TextDecoder has said *that* it does.
 */
export function findInvalidUtf8(bytes: Uint8Array, from = 0, atEnd = false): number {
  let i = from;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) need = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2;
      if (lead === 0xe0) lo = 0xa0;
      if (lead === 0xed) hi = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3;
      if (lead === 0xf0) lo = 0x90;
      if (lead === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return atEnd ? i : -1;
      const next = bytes[i + k]!;
      if (next < lo || next > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Where, in `tail` (the last ≤ 3 bytes already given to a streaming decoder), a multi-byte sequence
 * starts that the decoder is still waiting to complete; `tail.length` if there is none.
 */
export function pendingSequenceStart(tail: Uint8Array): number {
  for (let i = tail.length - 1; i >= 0; i--) {
    const b = tail[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > tail.length - i ? i : tail.length;
  }
  return tail.length;
}
