/**
 * Personality files (`--file` before 2.57): nova does not keep them (the driver would
 * inject them, and the fake driver has nowhere to), but it checks them against the
 * project's injected_files, injected_file_path_bytes and injected_file_content_bytes
 * quotas (compute/api.py _check_injected_file_quota) and answers 403 with the
 * OnsetFile* texts.
 */
import type { ComputeApiDeps } from './app.js';
import { HttpFault } from './faults.js';
import { QuotaEngine } from '../objects/quotas.js';

/** Throws 403 when the files are more, or longer, than the project may inject. */
export async function checkInjectedFiles(d: ComputeApiDeps, projectId: string, personality: unknown): Promise<void> {
  if (!Array.isArray(personality) || personality.length === 0) return;
  const q = await new QuotaEngine(d.db, d.cfg).projectQuotas(projectId);
  const over = (value: number, limit: number) => limit >= 0 && value > limit;
  if (over(personality.length, q.injected_files.limit)) throw new HttpFault(403, 'Personality file limit exceeded');
  const files = personality as { path?: string; contents?: string }[];
  // The content length is the base64 text's, as nova measures it before decoding.
  const maxPath = Math.max(...files.map((f) => (f.path ?? '').length));
  const maxContent = Math.max(...files.map((f) => (f.contents ?? '').length));
  const pathLimit = q.injected_file_path_bytes.limit;
  if (over(maxPath, pathLimit)) throw new HttpFault(403, `Personality file path exceeds maximum ${pathLimit}`);
  const contentLimit = q.injected_file_content_bytes.limit;
  if (over(maxContent, contentLimit)) throw new HttpFault(403, `Personality file content exceeds maximum ${contentLimit}`);
}
