/** The time stamp on report_state messages (agent side writes it, server side reads it). */

/** Formats a time as the agent stamps its reports (constants.ISO8601_TIME_FORMAT, UTC, microseconds). */
export function reportTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

/** Parses a report's time; NaN when malformed. */
export function parseReportTime(s: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return NaN;
  return Date.parse(`${m[1]}.${(m[2] ?? '0').padEnd(3, '0').slice(0, 3)}Z`);
}
