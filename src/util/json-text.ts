/**
 * `JSON.stringify`, where the value may nest too deeply to serialise: JSON.parse reads any depth, but
 * JSON.stringify recurses and overflows the stack (a RangeError) on a few hundred thousand levels. That
 * becomes `tooDeep()`, the caller's own error; anything else is thrown as it is.
 */
export function jsonText(value: unknown, tooDeep: (overflow: RangeError) => Error): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(error);
    throw error;
  }
}
