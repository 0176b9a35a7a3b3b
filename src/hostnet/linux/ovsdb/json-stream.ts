/**
 * RFC 7047's framing (§4: JSON-RPC 1.0 over a stream): the messages are JSON texts one
 * after another with no delimiter, so a reader must find where each value ends. This
 * scans the chunks as they come, tracking nesting depth outside strings (a brace inside
 * a string, or an escaped quote, does not count), and parses each complete value.
 */
import { OvsdbProtocolError } from './errors.js';

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Splits a stream of concatenated JSON objects/arrays into values; state carries over between chunks. */
export class JsonStreamParser {
  #buf = '';
  /** Where the scan resumes in #buf. */
  #pos = 0;
  #depth = 0;
  #inString = false;
  #escape = false;

  /**
   * The values completed by this chunk, in order (none when it ends inside one).
   * Throws OvsdbProtocolError on text that is not a JSON object or array at the top level.
   */
  push(chunk: string): unknown[] {
    const out: unknown[] = [];
    let buf = this.#buf + chunk;
    let start = this.#depth > 0 ? 0 : -1;
    let depth = this.#depth;
    let inString = this.#inString;
    let escape = this.#escape;
    for (let i = this.#pos; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (c === 0x22 && depth > 0) inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (depth === 0) start = i;
        depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) throw new OvsdbProtocolError(`unbalanced '${buf[i]}' at the top level of the stream`);
        if (--depth === 0) {
          const text = buf.slice(start, i + 1);
          try {
            out.push(JSON.parse(text));
          } catch (e) {
            throw new OvsdbProtocolError(`unreadable JSON message (${(e as Error).message}): ${text.slice(0, 200)}`);
          }
          start = -1;
        }
      } else if (depth === 0 && !isSpace(c)) {
        throw new OvsdbProtocolError(`a message must be a JSON object, got '${buf[i]}'`);
      }
    }
    if (depth === 0) buf = '';
    else buf = buf.slice(start);
    this.#buf = buf;
    this.#pos = buf.length;
    this.#depth = depth;
    this.#inString = inString;
    this.#escape = escape;
    return out;
  }

  /** Characters of an unfinished value held back (0 between messages). */
  get pending(): number {
    return this.#buf.length;
  }
}
