/**
 * How operator commands print: a human table by default, `-f json` for scripts, as the
 * openstack client does; and the exit status a cron job or CI step can test (0 nothing
 * found, 1 a problem found or a failure, 2 a usage error).
 */

export type Format = 'table' | 'json';

export const FORMATS: readonly Format[] = ['table', 'json'];

/** Exit statuses of the operator commands. */
export const Exit = { OK: 0, PROBLEM: 1, USAGE: 2 } as const;

/** Where a command writes: stdout and stderr, injectable for tests. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

type Cell = string | number | boolean | null | undefined;

/** The openstack client's table: +---+ borders, one header row, values left-aligned. */
export function table(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (c: Cell) => (c === null || c === undefined ? '' : String(c));
  const cells = rows.map((r) => columns.map((_, i) => text(r[i]).split('\n')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => Math.max(...r[i]!.map((l) => l.length)))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [rule, line([...columns]), rule];
  for (const r of cells) {
    const height = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(r.map((c) => c[k] ?? '')));
  }
  out.push(rule);
  return out.join('\n');
}

/** `openstack ... show`'s two-column Field | Value table. */
export function fieldTable(fields: Record<string, Cell>): string {
  return table(['Field', 'Value'], Object.entries(fields));
}

/** JSON as the openstack client prints it with -f json: indented 2. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
