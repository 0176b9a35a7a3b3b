/** Request-body checks in keystone's JSON-schema wording. */
import { SchemaValidationError } from '../errors.js';

type Json = Record<string, unknown>;

/** The `key` object of the body, or 400 "'key' is a required property". */
export function bodyObject(body: unknown, key: string): Json {
  const v = (body as Json | undefined)?.[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaValidationError(`'${key}' is a required property`);
  return v as Json;
}

/** An optional string field; 400 when present with another type. */
export function optString(o: Json, field: string, opts: { max?: number; nullable?: boolean } = {}): string | null | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string') throw new SchemaValidationError(`Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'string'`);
  if (opts.max !== undefined && v.length > opts.max) {
    throw new SchemaValidationError(`Invalid input for field '${field}': '${v}' is too long`);
  }
  return v;
}

/** A required non-empty name. */
export function requiredName(o: Json, max: number): string {
  const v = optString(o, 'name', { max });
  if (v === undefined || v === null) throw new SchemaValidationError("'name' is a required property");
  if (v.trim() === '') throw new SchemaValidationError("Invalid input for field 'name': '' is too short");
  return v;
}

/** An optional boolean as 0/1. */
export function optBool(o: Json, field: string): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new SchemaValidationError(`Invalid input for field '${field}': ${JSON.stringify(v)} is not of type 'boolean'`);
  return v ? 1 : 0;
}
