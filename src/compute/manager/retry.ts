/** The waits between network allocation attempts: 1, 2, 4, 8, 16, 30, 30... seconds. */
export function allocationRetryDelays(retries: number): number[] {
  const out: number[] = [];
  let wait = 1;
  for (let i = 0; i < retries; i++) {
    out.push(wait);
    wait = Math.min(wait * 2, 30);
  }
  return out;
}
