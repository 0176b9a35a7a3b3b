/**
 * Strict decoding of a JSON request body, shared by every API's body parser: the bytes
 * must be UTF-8 (Python's json.loads on bytes refuses anything else), the text JSON, and
 * the nesting bounded. Each caller turns the failure into its service's own malformed-body
 * error; none of these is ever a 500.
 */

/**
 * Python's default recursion limit: real OpenStack's json.loads raises RecursionError
 * before this depth, so no real client sends deeper bodies. Bounding it here also keeps
 * every recursive walk over a body (schema validators, Python-style repr) off the end of
 * the stack.
 */
export const MAX_JSON_DEPTH = 1000;

// ignoreBOM keeps a leading BOM in the text so JSON.parse refuses it, as json.loads does.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Why a body could not be read as JSON (never shown to clients: each API words its own). */
export class MalformedJson extends Error {}

/** Parses a body; throws MalformedJson on invalid UTF-8, invalid JSON or nesting deeper than MAX_JSON_DEPTH. */
export function parseJson(raw: Buffer | string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8.decode(raw));
  } catch (e) {
    throw new MalformedJson((e as Error).message);
  }
  if (nestedDeeperThan(value, MAX_JSON_DEPTH)) throw new MalformedJson(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value;
}

/** Iterative, so measuring a hostile body cannot itself overflow the stack. */
function nestedDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
