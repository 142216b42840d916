/**
 * A model file is checked before a DUT is built or booted with it: a file
 * that is not a TFLite flatbuffer would otherwise surface as a DUT that
 * never answers.
 */
import { readFileSync } from 'node:fs';

import { DatasetError } from '../host/errors.js';

/** TFLite flatbuffers carry the file identifier "TFL3" at bytes 4..7. */
export function checkTfliteModel(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  const id = Buffer.from(bytes.subarray(4, 8)).toString('latin1');
  if (bytes.length < 16 || id !== 'TFL3') {
    throw new DatasetError(
      `${path} is not a TFLite model (${
        bytes.length < 16
          ? `only ${bytes.length} bytes`
          : `bytes 4..7 are ${Buffer.from(bytes.subarray(4, 8))
              .toString('hex')
              .replace(/(..)(?!$)/g, '$1 ')}, not "TFL3" (54 46 4c 33)`
      }); fetch the reference model again ('tiny-bench fetch') or point --data-dir at the right folder`,
    );
  }
  return bytes;
}
