/** `JSON.parse` for text from outside: `undefined` instead of a syntax error, for a schema to reject. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
