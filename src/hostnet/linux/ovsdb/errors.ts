/** What an OVSDB client call can fail with (RFC 7047 over ovsdb-server's socket). */
import { OpenStackError } from '../../../common/errors.js';

/** ovsdb-server answered a request with an error (RFC 7047 §3.1: "error" and optional "details"). */
export class OvsdbRequestFailed extends OpenStackError {
  static override readonly wireType: string = 'OvsdbRequestFailed';
  constructor(
    readonly method: string,
    readonly error: string,
    readonly details: string,
  ) {
    super(`OVSDB ${method} failed: ${error}${details ? ` (${details})` : ''}`);
  }
}

/** The connection to ovsdb-server is closed (or could not be made): pending and later requests fail with it. */
export class OvsdbConnectionClosed extends OpenStackError {
  static override readonly wireType: string = 'OvsdbConnectionClosed';
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`OVSDB connection to ${target} closed: ${reason}`);
  }
}

/** The peer sent something that is not RFC 7047 JSON-RPC (the connection is closed after it). */
export class OvsdbProtocolError extends OpenStackError {
  static override readonly wireType: string = 'OvsdbProtocolError';
}
