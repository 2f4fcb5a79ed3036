/** What a task's context may tell about the work: MI instances, daemon runs and pool inputs differ. */
export interface JobContext {
  readonly caseId?: string;
  readonly taskId?: string;
  readonly index?: number;
  readonly attempt?: number;
  readonly runId?: string;
}

/** BullMQ refuses `:` in custom job ids (and all-digit ids); `~` joins the parts, so it is escaped too. */
const escapePart = (part: string): string =>
  part.replace(/%/g, '%25').replace(/:/g, '%3A').replace(/~/g, '%7E');

/**
 * The job id of one attempt: made from the case, task, index and attempt, or from the
 * handler, the daemon's run id and the attempt,
 * so a second subscription with the same ids re-attaches to the job instead of running it again.
 * Undefined when the context names no unit of work (a bare pool input): the job gets BullMQ's id.
 */
export function jobIdOf(handler: string, context: JobContext | undefined): string | undefined {
  if (context === undefined) return undefined;
  const { caseId, taskId, index, attempt = 1, runId } = context;
  if (runId !== undefined) return ['run', handler, runId, String(attempt)].map(escapePart).join('~');
  if (taskId === undefined || index === undefined) return undefined;
  return [caseId ?? taskId, taskId, String(index), String(attempt)].map(escapePart).join('~');
}
